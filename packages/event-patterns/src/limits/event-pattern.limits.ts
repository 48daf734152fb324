/**
 * Bounds that keep validating and matching from overflowing the stack or running for minutes on
 * deeply nested or huge patterns and events. They are ours, not EventBridge's: its own quota (a
 * pattern of at most 2,048 characters, 4,096 on request; events of at most 256 KB) keeps real
 * input far below them.
 */

/** Objects nested in a pattern, `$or` alternatives included; deeper patterns are refused. */
export const MAX_PATTERN_DEPTH = 100;

/**
 * Fields one alternative of a pattern may name (one branch once `$or` is expanded). Matching walks
 * a branch's fields recursively, so this also bounds the depth of that recursion.
 */
export const MAX_PATTERN_FIELDS = 1_000;

/**
 * `$or` multiplies alternatives, as EventBridge expands it; past this count a pattern is refused
 * rather than left to make every match slow.
 */
export const MAX_PATTERN_BRANCHES = 1_000;

/**
 * Characters of a pattern given as JSON text: refused before it is parsed. The size of one
 * EventBridge event, far above EventBridge's own quota for a rule's pattern (2,048 characters,
 * 4,096 on request); patterns given as objects are bounded by the field and branch counts.
 */
export const MAX_PATTERN_TEXT_LENGTH = 262_144;

/** Fields of all alternatives together, which is what compiling and each match cost. */
export const MAX_PATTERN_TOTAL_FIELDS = 100_000;

/**
 * Levels of an event read while following a pattern's paths: a top-level field is level 1 and
 * each object or array adds one. A pattern that leads deeper (a cyclic array does) does not match
 * the event.
 */
export const MAX_EVENT_DEPTH = 100;

/**
 * Array elements read under one path of a pattern, nested arrays included. Past it the pattern
 * does not match the event. A JSON document cannot reach it within EventBridge's 256 KB, but an
 * object shared many times by reference counts once per reference, as `JSON.stringify` writes it.
 */
export const MAX_EVENT_ARRAY_ELEMENTS = 100_000;

/**
 * Steps one pattern may take, per event, pairing fields that sit in objects of the same array (see
 * `EventPattern`): each event value looked at is a step. The search is exhaustive, so adversarial
 * arrays could make it exponential; past this budget the pattern does not match the event. A field
 * is only tried against values that pass its test, within the element already chosen, so realistic
 * events take about one step per field and element.
 */
export const MAX_MATCH_STEPS = 100_000;

/**
 * EventBridge's own bound, unlike the others: how many partial matches the wildcards of one field
 * may keep open on a worst-case value (see `wildcardComplexity`). Past it EventBridge answers
 * "Rule is too complex", and so does `validatePattern()`.
 */
export const MAX_WILDCARD_COMPLEXITY = 10;
