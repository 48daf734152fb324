import { isEventDefinition } from '../definition/define-event';
import type { EventDefinition } from '../definition/event-definition.interface';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { compileTypeMatcher } from '../selectors/event-type-matcher';

/** What a handler's selectors resolve to. */
export interface ResolvedSelectors {
  /** Exact types and wildcard selectors, as transports subscribe to them. */
  readonly eventTypes: string[];
  /** One per type selector given as a string. */
  readonly matchers: Array<(type: string) => boolean>;
  /** The definitions selected, by event type: their events are upcast and validated. */
  readonly definitions: Map<string, EventDefinition>;
}

/** Checks and resolves the selectors of one `@EventHandler`; `where` names it in errors. */
export function resolveSelectors(where: string, events: readonly unknown[]): ResolvedSelectors {
  if (events.length === 0) {
    throw new EventsConfigurationError(
      `${where}: no event given. Pass a definition or an event type.`,
    );
  }
  const resolved: ResolvedSelectors = { eventTypes: [], matchers: [], definitions: new Map() };
  for (const selector of events) {
    if (isEventDefinition(selector)) {
      const other = resolved.definitions.get(selector.type);
      if (other && other !== selector) {
        throw new EventsConfigurationError(
          `${where}: two definitions of "${selector.type}" (v${other.version} and ` +
            `v${selector.version}). Select the newest; older versions are upcast to it.`,
        );
      }
      resolved.definitions.set(selector.type, selector);
      resolved.eventTypes.push(selector.type);
    } else if (typeof selector === 'string') {
      resolved.matchers.push(configured(where, () => compileTypeMatcher(selector)));
      resolved.eventTypes.push(selector);
    } else {
      throw new EventsConfigurationError(
        `${where}: ${describeValue(selector)} is not an event type or a definition made with ` +
          'defineEvent().' +
          (selector === undefined
            ? ' If it is imported, a circular import may leave it undefined when the class is declared.'
            : ''),
      );
    }
  }
  return resolved;
}

/** Runs `build`, turning what it throws into a configuration error that names the handler. */
export function configured<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new EventsConfigurationError(`${where}: ${(error as Error).message}`);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an object with keys ${JSON.stringify(Object.keys(value))}`;
  return JSON.stringify(value);
}
