import { STAR, tokenizeWildcard, type WildcardToken } from './wildcard.tokenizer';

/**
 * How many wildcard prefixes one worst-case value can match at once, over all the given wildcards
 * of one field. This is the measure of event-ruler's MachineComplexityEvaluator (EventBridge
 * refuses patterns where it is too high); it reproduces that evaluator's published test values.
 * Values are scanned with their JSON quotes, as EventBridge's byte machines see them.
 * Stops counting once `limit` is exceeded.
 */
export function wildcardComplexity(patterns: readonly string[], limit: number): number {
  const machines = [...new Set(patterns)].map((pattern) => [
    '"',
    ...tokenizeWildcard(pattern),
    '"',
  ]);
  const alphabet = new Set<WildcardToken>();
  for (const tokens of machines)
    for (const token of tokens) if (token !== STAR) alphabet.add(token);
  // One symbol no literal uses stands for every other character.
  const symbols: (WildcardToken | undefined)[] = [...alphabet, undefined];
  // Every machine's states laid end to end, each state's facts in flat arrays, so that a step
  // over many wildcards costs the same per state whatever the number of machines.
  const tokenAt: (WildcardToken | undefined)[] = [];
  const afterStar: boolean[] = [];
  const starts: number[] = [];
  for (const tokens of machines) {
    starts.push(tokenAt.length);
    for (let position = 0; position <= tokens.length; position++) {
      tokenAt.push(position < tokens.length ? tokens[position] : undefined);
      afterStar.push(position > 0 && tokens[position - 1] === STAR);
    }
  }
  const atEnd = (state: number) => tokenAt[state] === undefined;
  const closure = (states: Set<number>): Set<number> => {
    for (const state of states) if (tokenAt[state] === STAR) states.add(state + 1);
    return states;
  };

  let worst = 0;
  const seen = new Set<string>();
  const pending = [closure(new Set(starts))];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const symbol of symbols) {
      const next = new Set<number>();
      for (const state of current) {
        if (!atEnd(state) && tokenAt[state] === symbol) next.add(state + 1);
        if (afterStar[state]) next.add(state);
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
