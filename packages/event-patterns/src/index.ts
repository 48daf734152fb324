export { compilePattern, type EventMatcher } from './compile/event-pattern.compiler';
export { InvalidEventPatternError } from './errors/invalid-event-pattern.error';
export { EventPatternIndex } from './index/event-pattern.index';
export type { EventPattern, EventPatternValue } from './interfaces/event-pattern.interface';
export {
  MAX_EVENT_ARRAY_ELEMENTS,
  MAX_EVENT_DEPTH,
  MAX_MATCH_STEPS,
  MAX_PATTERN_BRANCHES,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_FIELDS,
  MAX_PATTERN_TEXT_LENGTH,
  MAX_PATTERN_TOTAL_FIELDS,
} from './limits/event-pattern.limits';
export { matchesPattern } from './match/event-pattern.matcher';
export { validatePattern } from './parse/event-pattern.validator';
