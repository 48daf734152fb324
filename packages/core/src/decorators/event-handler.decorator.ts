import { EVENT_HANDLER_METADATA } from '../events.constants';
import type { EventDefinition } from '../definition/event-definition.interface';
import type { EventPattern } from '@nestjs-events/event-patterns';
import type { RetryOptions } from '../retry/retry-policy';

/** An exact event type, a wildcard selector (`order.*`, `billing.**`) or an event definition. */
export type EventSelector = string | EventDefinition;

export interface EventHandlerOptions {
  /** Retry policy of this handler, merged over the module's `retry`. */
  retry?: RetryOptions;
  /** Transport to consume from, by name. @default the first transport of the module */
  transport?: string;
  /** Queue (or other endpoint) to consume from, for brokered transports. */
  queue?: string;
  /**
   * Content filter in the EventBridge pattern language, written against the envelope
   * (`{ data: { amount: [{ numeric: ['>=', 100000] }] } }`). Validated at bootstrap; events that do
   * not match are skipped (and acknowledged), not failed. Brokers that can filter do so too.
   */
  pattern?: EventPattern;
  /**
   * How long one run of this handler may take. Past it the attempt counts as failed (a
   * `HandlerTimeoutError`, retried per the retry policy), the transport's slot is freed, and the
   * run, which goes on, is reported as stuck until it settles. `Infinity` turns it off.
   * @default the module option `handlerTimeoutMs`
   */
  timeoutMs?: number;
}

/** @internal What `@EventHandler` records on a method. */
export interface EventHandlerMetadata {
  readonly events: readonly unknown[];
  readonly options: EventHandlerOptions;
}

/**
 * Marks a method as the handler of one or more events. With a definition, the method receives
 * the event lifted to the definition's version and validated against its schema; with a type or a
 * wildcard, it receives the envelope as published. Decorators may be stacked.
 *
 * ```ts
 * @EventHandler(OrderCreated, { retry: { maxAttempts: 5 } })
 * async onOrderCreated(event: EventOf<typeof OrderCreated>) { … }
 * ```
 */
export function EventHandler(
  events: EventSelector | readonly EventSelector[],
  options: EventHandlerOptions = {},
): MethodDecorator {
  return (_target, _key, descriptor) => {
    // Checked at bootstrap, where the error can name the class and method (and where an
    // `undefined` from a circular import can be told apart from a typo).
    const list: readonly unknown[] = Array.isArray(events) ? events : [events];
    const metadata: EventHandlerMetadata = { events: list, options };
    const method = descriptor.value as object;
    const previous =
      (Reflect.getMetadata(EVENT_HANDLER_METADATA, method) as EventHandlerMetadata[]) ?? [];
    Reflect.defineMetadata(EVENT_HANDLER_METADATA, [...previous, metadata], method);
    return descriptor;
  };
}
