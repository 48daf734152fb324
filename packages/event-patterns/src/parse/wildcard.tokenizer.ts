/**
 * EventBridge `wildcard` values: `*` stands for any run of characters (none included), `\*` for
 * a literal asterisk and `\\` for a literal backslash. Any other escape, and `**`, are refused
 * (see `wildcardSyntaxError`), so tokenizing only ever meets those two escapes.
 */

export const STAR = Symbol('*');

/** A literal character, or `STAR`. */
export type WildcardToken = string | typeof STAR;

export function tokenizeWildcard(pattern: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') tokens.push(STAR);
    else if (char === '\\') tokens.push(pattern[++i]);
    else tokens.push(char);
  }
  return tokens;
}
