import { typeSelectorValues } from '@nestjs-events/core/transport';

/** An EventBridge event pattern, as PutRule takes it (serialized to JSON). */
export type RulePattern = { readonly [field: string]: unknown };

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
  const values = typeSelectorValues(eventTypes);
  return values ? { 'detail-type': values } : MATCH_ALL_PATTERN;
}
