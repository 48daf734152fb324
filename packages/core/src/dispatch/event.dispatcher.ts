import type { EventPattern, EventMatcher } from '@nestjs-events/event-patterns';
import {
  runInHandlingContext,
  type HandlingContext,
  type SkipReason,
} from '../context/event-context';
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
import { Deadlines, type Watched } from '../utils/deadlines';
import type { StuckHandlers } from './stuck-handlers';
import type { EventTracer, ProcessTarget } from '../observability/event-tracer';

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
  /** A consumer span per run, when the module option `tracing` is on. */
  readonly tracing?: { readonly tracer: EventTracer; readonly target: ProcessTarget };
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

  /** One timer for the deadlines of all runs; none without a timeout. */
  private readonly deadlines: Deadlines | undefined;

  constructor(private readonly config: EventDispatcherConfig) {
    this.deadlines = config.timeoutMs === Infinity ? undefined : new Deadlines(config.timeoutMs);
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
    const { tracing } = this.config;
    if (!tracing) return new Promise((resolve) => this.deliver(received, delivery, resolve));
    return tracing.tracer.process(
      received,
      delivery.attempt,
      tracing.target,
      () => new Promise<DeliveryOutcome>((resolve) => this.deliver(received, delivery, resolve)),
    );
  }

  /**
   * @internal `handle` for transports of this package: the outcome goes to `done` (at once when
   * the handler returned synchronously) instead of a promise, which saves two per delivery.
   */
  deliverTo(received: EventEnvelope, delivery: DeliveryInfo, done: DeliveryDone): void {
    if (this.config.tracing) {
      void this.handle(received, delivery).then((outcome) => done(outcome, this, received));
      return;
    }
    this.deliver(received, delivery, done);
  }

  private deliver(received: EventEnvelope, delivery: DeliveryInfo, done: DeliveryDone): void {
    const run = new Run(this, received, delivery.attempt, done);
    // Stays synchronous as far as the handler allows: every promise costs on this path.
    let ran: unknown;
    try {
      const prepared = this.prepare(received, delivery);
      ran =
        prepared instanceof Promise
          ? prepared.then((event) => this.run(run, event))
          : this.run(run, prepared);
    } catch (error) {
      return run.settle(error, true);
    }
    // Outside the try: what `done` does with the outcome is not the handler failing.
    if (!(ran instanceof Promise)) return run.settle(undefined, false);
    if (this.deadlines) this.deadlines.watch(run);
    ran.then(
      () => run.settle(undefined, false),
      (error: unknown) => run.settle(error, true),
    );
  }

  /** @internal The deadline of a run starting at `started` (`Infinity` without a timeout). */
  deadlineOf(started: number): number {
    return started + this.config.timeoutMs;
  }

  /** @internal */
  failed(context: HandlingContext, error: unknown): DeliveryOutcome {
    return this.config.outcome.failed(context.event, context.attempt, error);
  }

  /** @internal */
  succeeded(context: HandlingContext, started: number): DeliveryOutcome {
    return this.config.outcome.succeeded(context, started);
  }

  /** @internal The run settled before its deadline: it is no longer watched. */
  unwatch(run: Run): void {
    this.deadlines?.settled(run);
  }

  /**
   * @internal A run outlived the timeout: reported now and kept as stuck until it settles (the
   * returned function), while its attempt fails with a `HandlerTimeoutError`.
   */
  timedOut(context: HandlingContext): { error: HandlerTimeoutError; unstuck: () => void } {
    const { timeoutMs, stuck, outcome } = this.config;
    const { event, attempt } = context;
    const unstuck = stuck.add({
      handler: this.handler,
      eventId: event.id,
      eventType: event.type,
      attempt,
      timeoutMs,
      since: new Date(),
    });
    outcome.timedOut(context, timeoutMs);
    context.abandon?.();
    return { error: new HandlerTimeoutError(this.handler, event.id, timeoutMs), unstuck };
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

  private run(context: Run, event: EventEnvelope): unknown {
    context.event = event;
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

/** Where a delivery's outcome goes: for `deliverTo`, with what it concerns. */
export type DeliveryDone = (
  outcome: DeliveryOutcome,
  subscription: EventSubscription,
  event: EventEnvelope,
) => void;

/**
 * One delivery to one handler: the handling context its code sees, and the record its deadline is
 * watched by. Its outcome is the handler's own, or a failed attempt once the deadline passes first;
 * the run then goes on, listed as stuck until it settles.
 */
class Run implements HandlingContext, Watched {
  /** The event as received, then (once prepared) as the handler sees it. */
  event: EventEnvelope;
  skipped?: SkipReason = undefined;
  abandon?: () => void = undefined;
  readonly started = performance.now();
  readonly deadline: number;
  previous: Watched | undefined = undefined;
  next: Watched | undefined = undefined;
  /** Set once the deadline passed: the later settling only takes the run off the stuck list. */
  private unstuck: (() => void) | undefined = undefined;

  constructor(
    private readonly dispatcher: EventDispatcher,
    /** The event as the transport delivered it. */
    private readonly received: EventEnvelope,
    readonly attempt: number,
    private readonly done: DeliveryDone,
  ) {
    this.event = received;
    this.deadline = dispatcher.deadlineOf(this.started);
  }

  get handler(): string {
    return this.dispatcher.handler;
  }

  expire(): void {
    const { error, unstuck } = this.dispatcher.timedOut(this);
    this.unstuck = unstuck;
    this.report(this.dispatcher.failed(this, error));
  }

  settle(error: unknown, failed: boolean): void {
    if (this.unstuck) return this.unstuck();
    const { dispatcher } = this;
    dispatcher.unwatch(this);
    this.report(failed ? dispatcher.failed(this, error) : dispatcher.succeeded(this, this.started));
  }

  private report(outcome: DeliveryOutcome): void {
    this.done(outcome, this.dispatcher, this.received);
  }
}
