import type { EventSubscription } from '@nestjs-events/core/transport';
import { translateEnvelopePattern } from './envelope-pattern.translator';
import { buildRulePattern, MATCH_ALL_PATTERN, type RulePattern } from './rule-pattern.builder';

/** What the rule needs to know of a handler. */
export type RuleSubscription = Pick<EventSubscription, 'eventTypes' | 'pattern'>;

/**
 * EventBridge's default quota on the length of a rule's event pattern (it can be raised to 4096);
 * a longer pattern is refused by PutRule.
 */
export const MAX_RULE_PATTERN_LENGTH = 2048;

/**
 * The pattern of the rule that feeds a queue: the union of what its handlers take. Each handler
 * with a content pattern contributes its event types (on `detail-type`) AND its pattern,
 * translated to the EventBridge event; the handlers without one share a single alternative
 * listing all their types; alternatives are joined with `$or`. Without any content pattern this
 * is `buildRulePattern` of the types, as before.
 *
 * The result may be wider than the handlers (see `buildRulePattern`), never narrower: the
 * in-process match stays the final word.
 */
export function buildQueueRulePattern(subscriptions: readonly RuleSubscription[]): RulePattern {
  const plainTypes = subscriptions
    .filter((subscription) => subscription.pattern === undefined)
    .flatMap((subscription) => subscription.eventTypes);
  if (subscriptions.every((subscription) => subscription.pattern === undefined)) {
    return buildRulePattern(plainTypes);
  }
  const alternatives = new Map<string, RulePattern>();
  const add = (pattern: RulePattern) => alternatives.set(JSON.stringify(pattern), pattern);
  const plain = new Set(plainTypes);
  if (plainTypes.length > 0) {
    const types = buildRulePattern(plainTypes);
    // A handler without a pattern takes every event: nothing can be narrowed.
    if (types === MATCH_ALL_PATTERN) return MATCH_ALL_PATTERN;
    add(types);
  }
  for (const { eventTypes, pattern } of subscriptions) {
    if (pattern === undefined) continue;
    // Types a handler without a pattern also takes need no narrower alternative of their own.
    if (eventTypes.every((type) => plain.has(type))) continue;
    const types = buildRulePattern(eventTypes);
    // Where the pattern names `detail-type` (or `source`) itself, it replaces the types' condition
    // instead of being ANDed with it, since one key holds one list: the alternative only gets
    // wider, and the handler narrows it again.
    add({ ...(types === MATCH_ALL_PATTERN ? {} : types), ...translateEnvelopePattern(pattern) });
  }
  const list = [...alternatives.values()];
  return list.length === 1 ? list[0] : { $or: list };
}
