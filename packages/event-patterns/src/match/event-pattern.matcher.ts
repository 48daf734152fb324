import { compilePattern } from '../compile/event-pattern.compiler';
import { parseJsonText } from '../json/json-text.parser';
import { isPlainObject } from '../json/plain-object.guard';

/**
 * Whether `event` matches `pattern`, as EventBridge's TestEventPattern answers; both may be given
 * as JSON text. Compile with `compilePattern()` when one pattern meets many events.
 */
export function matchesPattern(pattern: object | string, event: object | string): boolean {
  // The pattern is checked before the event is read, as the callee is evaluated first.
  return compilePattern(pattern)(readEvent(event));
}

function readEvent(event: object | string): unknown {
  const parsed =
    typeof event === 'string'
      ? parseJsonText(
          event,
          (reason) => new TypeError(`The event to match is not valid JSON: ${reason}`),
        )
      : event;
  if (!isPlainObject(parsed)) throw new TypeError('The event to match must be a JSON object.');
  return parsed;
}
