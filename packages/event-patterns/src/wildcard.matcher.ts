/**
 * EventBridge `wildcard` values: `*` stands for any run of characters (none included), `\*` for
 * a literal asterisk and `\\` for a literal backslash. Any other escape, and `**`, are refused.
 */

const STAR = Symbol('*');
type Token = string | typeof STAR;

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

/** A predicate for a well-formed wildcard (see `wildcardSyntaxError`). */
export function compileWildcard(pattern: string): (value: string) => boolean {
  const segments = literalSegments(tokenize(pattern));
  if (segments.length === 1) {
    const [literal] = segments as [string];
    return (value) => value === literal;
  }
  const first = segments[0];
  const last = segments[segments.length - 1];
  const middle = segments.slice(1, -1);
  const fixedLength = first.length + last.length;
  return (value) => {
    if (value.length < fixedLength || !value.startsWith(first) || !value.endsWith(last)) {
      return false;
    }
    // Taking each middle literal at its leftmost place leaves the most room for the rest, so a
    // single forward scan decides the match: no backtracking, no regex blow-up.
    let from = first.length;
    const end = value.length - last.length;
    for (const literal of middle) {
      const at = value.indexOf(literal, from);
      if (at === -1 || at + literal.length > end) return false;
      from = at + literal.length;
    }
    return true;
  };
}

/**
 * How many wildcard prefixes one worst-case value can match at once, over all the given wildcards
 * of one field. This is the measure of event-ruler's MachineComplexityEvaluator (EventBridge
 * refuses patterns where it is too high); it reproduces that evaluator's published test values.
 * Values are scanned with their JSON quotes, as EventBridge's byte machines see them.
 * Stops counting once `limit` is exceeded.
 */
export function wildcardComplexity(patterns: readonly string[], limit: number): number {
  const machines = [...new Set(patterns)].map((pattern) => ['"', ...tokenize(pattern), '"']);
  const alphabet = new Set<Token>();
  for (const tokens of machines)
    for (const token of tokens) if (token !== STAR) alphabet.add(token);
  // One symbol no literal uses stands for every other character.
  const symbols: (Token | undefined)[] = [...alphabet, undefined];
  const offsets: number[] = [];
  let total = 0;
  for (const tokens of machines) {
    offsets.push(total);
    total += tokens.length + 1;
  }
  const at = (state: number): [Token[], number] => {
    let machine = 0;
    while (machine + 1 < offsets.length && offsets[machine + 1] <= state) machine++;
    return [machines[machine], state - offsets[machine]];
  };
  const closure = (states: Set<number>): Set<number> => {
    for (const state of states) {
      const [tokens, position] = at(state);
      if (tokens[position] === STAR) states.add(state + 1);
    }
    return states;
  };

  let worst = 0;
  const seen = new Set<string>();
  const pending = [closure(new Set(offsets))];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const symbol of symbols) {
      const next = new Set<number>();
      for (const state of current) {
        const [tokens, position] = at(state);
        if (position < tokens.length && tokens[position] === symbol) next.add(state + 1);
        if (position > 0 && tokens[position - 1] === STAR) next.add(state);
      }
      if (next.size === 0) continue;
      closure(next);
      worst = Math.max(worst, next.size);
      if (worst > limit) return worst;
      const key = [...next].sort((a, b) => a - b).join(',');
      if (!seen.has(key)) {
        seen.add(key);
        pending.push(next);
      }
    }
  }
  return worst;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') tokens.push(STAR);
    else if (char === '\\') tokens.push(pattern[++i]);
    else tokens.push(char);
  }
  return tokens;
}

function literalSegments(tokens: readonly Token[]): string[] {
  const segments = [''];
  for (const token of tokens) {
    if (token === STAR) segments.push('');
    else segments[segments.length - 1] += token;
  }
  return segments;
}
