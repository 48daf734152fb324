/** Why the wildcard is malformed, or undefined when it is well formed. */
export function wildcardSyntaxError(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      return `consecutive "**" at index ${i} of ${JSON.stringify(pattern)}: one "*" already matches any run of characters`;
    }
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        return (
          `invalid escape at index ${i} of ${JSON.stringify(pattern)}: only "\\*" (a literal *) ` +
          'and "\\\\" (a literal \\) may follow a backslash'
        );
      }
      i++;
    }
  }
  return undefined;
}
