export {
  compilePattern,
  matchesPattern,
  validatePattern,
  type EventMatcher,
} from './event-pattern.matcher';
export type { EventPattern, EventPatternValue } from './event-pattern.interface';
export { EventPatternIndex } from './event-pattern.index';
export { InvalidEventPatternError } from './invalid-event-pattern.error';
export {
  MAX_EVENT_ARRAY_ELEMENTS,
  MAX_EVENT_DEPTH,
  MAX_MATCH_STEPS,
  MAX_PATTERN_BRANCHES,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_FIELDS,
  MAX_PATTERN_TOTAL_FIELDS,
} from './event-pattern.limits';
