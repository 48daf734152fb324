import type { EventPattern } from '@nestjs-events/event-patterns';
import type { EventDefinition } from '../definition/event-definition.interface';

/**
 * The handler's pattern as brokers may apply it to the published envelope. A handler sees events
 * after upcasting, so on the published form the pattern holds only for the current version;
 * older versions pass the broker and are filtered in-process once lifted.
 */
export function brokerPattern(
  pattern: EventPattern,
  definitions: ReadonlyMap<string, EventDefinition>,
): EventPattern | undefined {
  const versions = new Set([...definitions.values()].map((definition) => definition.version));
  if (versions.size === 0 || (versions.size === 1 && versions.has(1))) return pattern;
  if (versions.size > 1 || 'version' in pattern || '$or' in pattern) return undefined;
  const [current] = versions;
  return {
    $or: [{ ...pattern, version: [current] }, { version: [{ numeric: ['<', current] }] }],
  };
}
