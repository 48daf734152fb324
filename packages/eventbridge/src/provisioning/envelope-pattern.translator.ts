import type { EventPattern } from '@nestjs-events/core';
import type { RulePattern } from './rule-pattern.builder';

/** Envelope fields that EventBridge carries at the top of its events, under its own names. */
const TOP_LEVEL_FIELDS: ReadonlyMap<string, string> = new Map([
  ['type', 'detail-type'],
  ['source', 'source'],
]);

/**
 * Rewrites a handler's content pattern, written against the envelope (`type`, `source`,
 * `version`, `aggregateId`, `data`, `metadata`, …), into a pattern on the EventBridge event this
 * transport publishes: `type` becomes `detail-type`, `source` stays `source`, and every other
 * field moves under `detail`, where the rest of the envelope travels. `$or` branches are
 * envelope-level patterns too and are rewritten the same way. Values (and everything nested under
 * a field, `$or` included) are kept as they are: both sides speak the same pattern language.
 */
export function translateEnvelopePattern(pattern: EventPattern): RulePattern {
  const translated: Record<string, unknown> = {};
  const detail: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(pattern)) {
    if (value === undefined) continue;
    if (field === '$or') {
      translated.$or = Array.isArray(value)
        ? (value as readonly EventPattern[]).map((branch) => translateEnvelopePattern(branch))
        : value;
      continue;
    }
    const topLevel = TOP_LEVEL_FIELDS.get(field);
    if (topLevel) translated[topLevel] = value;
    else detail[field] = value;
  }
  if (Object.keys(detail).length) translated.detail = detail;
  return translated;
}
