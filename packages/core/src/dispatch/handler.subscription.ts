import { ForbiddenException } from '@nestjs/common';
import { runInHandlingContext, type HandlingContext } from '../context/event-context';
import { definitionOf } from '../definition/define-event';
import type { EventDefinition } from '../definition/event-definition.interface';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventPattern } from '@nestjs-events/event-patterns';
import type { EventMatcher } from '@nestjs-events/event-patterns';
import type { EventsMonitor } from '../monitor/events.monitor';
import { describeError } from '../errors/describe-error';
import { EventLogger } from '../observability/event-log';
import type { RetryPolicy } from '../retry/retry-policy';
import type {
  DeliveryInfo,
  DeliveryOutcome,
  EventSubscription,
} from '../transport/transport.interface';

/**
 * Runs the handler method for one event (through Nest's guards, interceptors, pipes and filters
 * when it has any). May return synchronously.
 */
export type HandlerInvoker = (event: EventEnvelope, context: HandlingContext) => unknown;

export interface HandlerSubscriptionConfig {
  readonly handler: string;
  readonly eventTypes: readonly string[];
  readonly matchers: ReadonlyArray<(type: string) => boolean>;
  /** Definitions the handler selected, by event type: their events are upcast and validated. */
  readonly definitions: ReadonlyMap<string, EventDefinition>;
  readonly queue?: string;
  /** Content filter, compiled once at bootstrap. */
  readonly filter?: EventMatcher;
  /** What brokers may filter on before delivery (see `EventSubscription.pattern`). */
  readonly pattern?: EventPattern;
  readonly retry: RetryPolicy;
  readonly invoke: HandlerInvoker;
  readonly monitor: EventsMonitor;
  /** Include event data in log records (module option `logPayloads`). @default false */
  readonly logPayloads?: boolean;
}

const HANDLED: DeliveryOutcome = { status: 'handled' };
const SKIPPED: DeliveryOutcome = { status: 'skipped' };
// What Nest's ExternalContextCreator throws when a guard returns false.
const GUARD_DENIAL = 'Forbidden resource';

/**
 * One `@EventHandler` method bound to its instance: lifts and validates what it receives, runs it
 * in the handling context (so the events it publishes inherit correlation and causation), and
 * turns the result into what the transport should do next, per the handler's retry policy.
 */
export class HandlerSubscription implements EventSubscription {
  private readonly logger: EventLogger;
  readonly handler: string;
  readonly eventTypes: readonly string[];
  readonly queue?: string;
  readonly pattern?: EventPattern;

  constructor(private readonly config: HandlerSubscriptionConfig) {
    this.handler = config.handler;
    this.eventTypes = config.eventTypes;
    this.queue = config.queue;
    this.pattern = config.pattern;
    this.logger = new EventLogger('EventHandler', config.logPayloads);
  }

  matches(type: string): boolean {
    return (
      this.config.definitions.has(type) || this.config.matchers.some((matches) => matches(type))
    );
  }

  handle(received: EventEnvelope, delivery: DeliveryInfo): Promise<DeliveryOutcome> {
    const started = performance.now();
    const context: HandlingContext = {
      event: received,
      handler: this.handler,
      attempt: delivery.attempt,
    };
    const fail = (error: unknown) => this.failed(received, delivery.attempt, error);
    const done = () => this.succeeded(context, delivery.attempt, started);
    // Stays synchronous as far as the handler allows: every promise costs on this path.
    try {
      const prepared = this.prepare(received, delivery);
      const ran =
        prepared instanceof Promise
          ? prepared.then((event) => this.run(context, event))
          : this.run(context, prepared);
      return ran instanceof Promise ? ran.then(done, fail) : Promise.resolve(done());
    } catch (error) {
      return Promise.resolve(fail(error));
    }
  }

  private run(context: HandlingContext, event: EventEnvelope): unknown {
    (context as { event: EventEnvelope }).event = event;
    // Written against the envelope as the handler sees it: after upcasting and validation.
    if (this.config.filter && !this.config.filter(event)) {
      context.skipped = 'filtered';
      return undefined;
    }
    return runInHandlingContext(context, () => this.config.invoke(event, context));
  }

  private succeeded(context: HandlingContext, attempt: number, started: number): DeliveryOutcome {
    const { monitor } = this.config;
    if (context.skipped) {
      if (monitor.observed) {
        monitor.notify({
          kind: 'skipped',
          event: context.event,
          handler: this.handler,
          reason: context.skipped,
        });
      }
      return SKIPPED;
    }
    if (monitor.observed) {
      monitor.notify({
        kind: 'handled',
        event: context.event,
        handler: this.handler,
        attempt,
        durationMs: performance.now() - started,
      });
    }
    return HANDLED;
  }

  /** Lifts the event to the selected definition's version and validates it when needed. */
  private prepare(
    event: EventEnvelope,
    delivery: DeliveryInfo,
  ): EventEnvelope | Promise<EventEnvelope> {
    const definition = this.config.definitions.get(event.type);
    if (!definition) return event;
    const lifted = definition.upcast(event);
    // Validated by this process's bus with this very definition: checking again adds nothing.
    if (lifted === event && delivery.trusted && definitionOf(event) === definition) return event;
    const data: unknown = definition.validate(lifted.data);
    return data instanceof Promise
      ? data.then((valid: unknown) => ({ ...lifted, data: valid }))
      : { ...lifted, data };
  }

  private failed(event: EventEnvelope, attempt: number, error: unknown): DeliveryOutcome {
    const { monitor } = this.config;
    const handler = this.handler;
    if (error instanceof ForbiddenException && error.message === GUARD_DENIAL) {
      const denied = `${handler} skipped event ${event.id} (${event.type}): a guard denied it`;
      this.logger.debug(denied, event, { handler, attempt, reason: 'guard' });
      if (monitor.observed) monitor.notify({ kind: 'skipped', event, handler, reason: 'guard' });
      return SKIPPED;
    }
    const decision = this.config.retry.decide(error, attempt);
    const what = `${handler} failed on event ${event.id} (${event.type}) at attempt ${attempt}: ${describeError(error)}`;
    if (decision.retry) {
      const { delayMs } = decision;
      this.logger.warn(`${what}; retrying in ${delayMs} ms`, event, {
        handler,
        attempt,
        delayMs,
        error,
      });
      if (monitor.observed) {
        monitor.notify({ kind: 'retrying', event, handler, attempt, delayMs, error });
      }
      return { status: 'retry', delayMs, error };
    }
    const { reason } = decision;
    this.logger.error(`${what}; dead-lettered (${reason})`, event, {
      handler,
      attempt,
      reason,
      error,
    });
    if (monitor.observed) {
      monitor.notify({ kind: 'dead-lettered', event, handler, reason, error, attempts: attempt });
    }
    return { status: 'dead-letter', reason, error, attempts: attempt };
  }
}
