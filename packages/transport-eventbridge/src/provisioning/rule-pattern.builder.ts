/** An EventBridge event pattern, as PutRule takes it (serialized to JSON). */
export type RulePattern = { readonly [field: string]: unknown };

type DetailTypeValue = string | { readonly prefix: string } | { readonly suffix: string };

/**
 * Matches every event. EventBridge refuses an empty pattern, and every event has a source, so an
 * empty prefix on it is the usual way to say "everything".
 */
export const MATCH_ALL_PATTERN: RulePattern = { source: [{ prefix: '' }] };

/**
 * The pattern of a rule that feeds a queue whose handlers select `eventTypes`, on `detail-type`:
 * exact types as themselves, wildcards as a prefix (or a suffix when they start with one). The
 * pattern may let through more than the selectors take (`order.*` becomes the prefix `order.`,
 * which `order.a.b` also has); the in-process match stays the final word, so a broader rule only
 * costs a delivery, while a narrower one would lose events. `**` matches everything.
 */
export function buildRulePattern(eventTypes: readonly string[]): RulePattern {
  if (eventTypes.length === 0) {
    throw new RangeError('A rule needs at least one event type to match.');
  }
  const values: DetailTypeValue[] = [];
  const seen = new Set<string>();
  for (const selector of eventTypes) {
    const alternatives = detailTypeValues(selector);
    if (!alternatives) return MATCH_ALL_PATTERN;
    for (const value of alternatives) {
      const key = JSON.stringify(value);
      if (seen.has(key)) continue;
      seen.add(key);
      values.push(value);
    }
  }
  return { 'detail-type': values };
}

/** The `detail-type` values that cover `selector`; undefined when only "everything" does. */
function detailTypeValues(selector: string): DetailTypeValue[] | undefined {
  const star = selector.indexOf('*');
  if (star === -1) return [selector];
  if (star > 0) {
    const prefix = selector.slice(0, star);
    // `order.**` also matches `order` itself (`**` may stand for no segment at all).
    if (selector.slice(star) === '**') return [prefix.slice(0, -1), { prefix }];
    return [{ prefix }];
  }
  // Leading wildcard (`*.created`, `**.created`): only the end is fixed. A leading `**` may match
  // no segment, so `**.created` matches `created` too and the dot cannot be required.
  let suffix = selector.slice(selector.lastIndexOf('*') + 1);
  if (selector.startsWith('**')) suffix = suffix.replace(/^\./, '');
  return suffix ? [{ suffix }] : undefined;
}
