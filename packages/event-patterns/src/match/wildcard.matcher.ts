import { STAR, tokenizeWildcard, type WildcardToken } from '../parse/wildcard.tokenizer';

/** A predicate for a well-formed wildcard (see `wildcardSyntaxError`). */
export function compileWildcard(pattern: string): (value: string) => boolean {
  const segments = literalSegments(tokenizeWildcard(pattern));
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

function literalSegments(tokens: readonly WildcardToken[]): string[] {
  const segments = [''];
  for (const token of tokens) {
    if (token === STAR) segments.push('');
    else segments[segments.length - 1] += token;
  }
  return segments;
}
