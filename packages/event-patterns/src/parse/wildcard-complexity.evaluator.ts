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
  const offsets: number[] = [];
  let total = 0;
  for (const tokens of machines) {
    offsets.push(total);
    total += tokens.length + 1;
  }
  const at = (state: number): [WildcardToken[], number] => {
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
