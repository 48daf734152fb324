import type { EventPattern, EventMatcher } from '@nestjs-events/event-patterns';
import { runInHandlingContext, type HandlingContext } from '../context/event-context';
import { definitionOf } from '../definition/define-event';
import type { EventDefinition } from '../definition/event-definition.interface';
import { HandlerTimeoutError } from '../errors/handler-timeout.error';
import type { IdempotentRunner } from '../idempotency/idempotent.runner';
import type { ResolvedIdempotencyOptions } from '../idempotency/resolve-idempotency-options';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type {
  DeliveryInfo,
  DeliveryOutcome,
  EventSubscription,
} from '../transport/transport.interface';
import type { HandlerInvoker } from './handler-invoker.factory';
import type { OutcomeReporter } from './outcome.reporter';
import type { StuckHandlers } from './stuck-handlers';

/** Everything one dispatcher needs, resolved and checked at bootstrap. */
export interface EventDispatcherConfig {
  readonly handler: string;
  readonly eventTypes: readonly string[];
  readonly matchers: ReadonlyArray<(type: string) => boolean>;
  /** Definitions the handler selected, by event type: their events are upcast and validated. */
  readonly definitions: ReadonlyMap<string, EventDefinition>;
  readonly queue?: string;
  /** Content filter, compiled once at bootstrap. */
  readonly filter?: EventMatcher;
  /** The pattern `filter` was compiled from, for `SubscriptionSet` to index. */
  readonly filterPattern?: EventPattern;
  /** What brokers may filter on before delivery (see `EventSubscription.pattern`). */
  readonly pattern?: EventPattern;
  /** Claim → run → complete around the invocation, for handlers marked `@Idempotent()`. */
  readonly idempotency?: {
    readonly runner: IdempotentRunner;
    readonly options: ResolvedIdempotencyOptions;
  };
  readonly invoke: HandlerInvoker;
  readonly outcome: OutcomeReporter;
  /** How long one run may take before the attempt fails (`Infinity`: no bound). */
  readonly timeoutMs: number;
  /** Where runs that outlived their timeout are kept until they settle. */
  readonly stuck: StuckHandlers;
}

/**
 * One `@EventHandler` entry as a subscription: for each delivery it upcasts and validates the
 * event, applies the content filter, invokes the handler in the handling context (so the events
 * it publishes inherit correlation and causation), and turns the result into an outcome.
 */
export class EventDispatcher implements EventSubscription {
  readonly handler: string;
  readonly eventTypes: readonly string[];
  readonly queue?: string;
  readonly pattern?: EventPattern;
  /** See `EventDispatcherConfig.filterPattern`; undefined unless `filter` is set. */
  readonly filterPattern?: EventPattern;

  constructor(private readonly config: EventDispatcherConfig) {
    this.handler = config.handler;
    this.eventTypes = config.eventTypes;
    this.queue = config.queue;
    this.pattern = config.pattern;
    this.filterPattern = config.filter && config.filterPattern;
  }

  matches(type: string): boolean {
    return (
      this.config.definitions.has(type) || this.config.matchers.some((matches) => matches(type))
    );
  }

  handle(received: EventEnvelope, delivery: DeliveryInfo): Promise<DeliveryOutcome> {
    const started = performance.now();
    const { outcome } = this.config;
    const context: HandlingContext = {
      event: received,
      handler: this.handler,
      attempt: delivery.attempt,
    };
    const fail = (error: unknown) => outcome.failed(received, delivery.attempt, error);
    const done = () => outcome.succeeded(context, started);
    // Stays synchronous as far as the handler allows: every promise costs on this path.
    try {
      const prepared = this.prepare(received, delivery);
      const ran =
        prepared instanceof Promise
          ? prepared.then((event) => this.run(context, event))
          : this.run(context, prepared);
      return ran instanceof Promise
        ? this.bounded(ran, context).then(done, fail)
        : Promise.resolve(done());
    } catch (error) {
      return Promise.resolve(fail(error));
    }
  }

  /** The definition that events of `type` are prepared with: handlers sharing it see alike. */
  definitionFor(type: string): EventDefinition | undefined {
    return this.config.definitions.get(type);
  }

  /**
   * Reports `prepared` (the event once prepared) as filtered out, as `handle` does when the
   * pattern rejects it; for `SubscriptionSet`, which evaluated the pattern on its behalf.
   */
  skipFiltered(prepared: EventEnvelope): Promise<DeliveryOutcome> {
    return this.config.outcome.filtered(prepared);
  }

  /** Lifts the event to the selected definition's version and validates it when needed. */
  prepare(event: EventEnvelope, delivery: DeliveryInfo): EventEnvelope | Promise<EventEnvelope> {
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

  /**
   * `ran`, or a `HandlerTimeoutError` once the timeout passes first: the delivery settles (and is
   * retried) while the run goes on, recorded as stuck until it settles too. Only runs that return
   * a promise get a timer: a synchronous handler has already finished.
   */
  private bounded(ran: Promise<unknown>, context: HandlingContext): Promise<unknown> {
    const { timeoutMs, stuck, outcome } = this.config;
    if (timeoutMs === Infinity) return ran;
    return new Promise((resolve, reject) => {
      let unstuck: (() => void) | undefined;
      const timer = setTimeout(() => {
        const { event, attempt } = context;
        unstuck = stuck.add({
          handler: this.handler,
          eventId: event.id,
          eventType: event.type,
          attempt,
          timeoutMs,
          since: new Date(),
        });
        outcome.timedOut(context, timeoutMs);
        reject(new HandlerTimeoutError(this.handler, event.id, timeoutMs));
      }, timeoutMs);
      const settle = (after: () => void) => {
        clearTimeout(timer);
        if (unstuck) unstuck();
        else after();
      };
      ran.then(
        (value) => settle(() => resolve(value)),
        // Rejected with what the handler threw, whatever it is, as the unbounded path does.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  private run(context: HandlingContext, event: EventEnvelope): unknown {
    (context as { event: EventEnvelope }).event = event;
    const { filter, idempotency, invoke } = this.config;
    // Written against the envelope as the handler sees it: after upcasting and validation.
    if (filter && !filter(event)) {
      context.skipped = 'filtered';
      return undefined;
    }
    return runInHandlingContext(
      context,
      idempotency
        ? () => idempotency.runner.run(context, idempotency.options, () => invoke(event, context))
        : () => invoke(event, context),
    );
  }
}
