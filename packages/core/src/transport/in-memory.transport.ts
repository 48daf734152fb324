import { Logger } from '@nestjs/common';
import { EventEmitter2 } from 'eventemitter2';
import type { DeliveryDone } from '../dispatch/event.dispatcher';
import { SubscriptionSet } from '../dispatch/subscription.set';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { TransportStoppedError } from '../errors/transport-stopped.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { describeError } from '../errors/describe-error';
import { settlesWithin } from '../lifecycle/settles-within';
import { EventLogger } from '../observability/event-log';
import type {
  DeadLetterReason,
  DeliveryInfo,
  DeliveryOutcome,
  EventSubscription,
  Transport,
  TransportContext,
  TransportHealth,
  TransportMonitor,
} from './transport.interface';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';

export interface InMemoryTransportOptions {
  /** Name for `routes` and the handler option `transport`. @default 'memory' */
  name?: string;
  /**
   * Emitter to deliver through, e.g. the one of `EventEmitterModule` so that `@OnEvent` listeners
   * see the envelopes too. It must use `wildcard: true` and the `.` delimiter.
   * @default a private EventEmitter2
   */
  emitter?: EventEmitter2;
  /** Dead letters kept for inspection; the oldest are dropped (and logged) beyond this. @default 10000 */
  maxDeadLetters?: number;
  /**
   * Failed deliveries waiting for their retry at once. Past it, a delivery that would wait too is
   * dead-lettered with reason `overflow` instead: a burst of failing events then costs bounded
   * memory and timers, and each one is still accounted for. @default 10000
   */
  maxPendingRetries?: number;
  /**
   * Include the event's `data` in log records about one event (a dead letter dropped from a full
   * list). The default transport of `EventsModule` takes the module option `logPayloads`.
   * @default false
   */
  logPayloads?: boolean;
}

/** An event that a handler could not process, kept by the in-memory transport. */
export interface DeadLetter extends DeadLetterReason {
  readonly event: EventEnvelope;
  readonly handler: string;
  readonly deadLetteredAt: Date;
}

type Listener = (event: EventEnvelope) => void;

/** The subscriptions with one and the same selector, reached through one listener. */
interface SelectorGroup {
  readonly subscriptions: EventSubscription[];
  /** Built at the first event after a subscription was added. */
  set?: SubscriptionSet;
}

/** Events emitted per microtask, at most; see `InMemoryTransport.flush`. */
const FLUSH_CHUNK = 1024;
const FIRST_DELIVERY: DeliveryInfo = { attempt: 1, trusted: true };
/** What `publish` answers once it holds the events: settled, so one serves every caller. */
const ACCEPTED: Promise<void> = Promise.resolve();

/**
 * Delivers events inside the process through EventEmitter2. Each handler is its own subscriber:
 * it is retried, dead-lettered and drained independently of the others. Delivery is asynchronous,
 * so a publisher never runs (or waits for) handler code.
 *
 * One instance may serve one application after another (an instance given to `forRoot` in a
 * test file, with an application per test): `stop()` drops the subscriptions, and `start()`
 * after it delivers again, to those made since. Dead letters are kept across a restart; call
 * `clearDeadLetters()` to start afresh.
 */
export class InMemoryTransport implements Transport {
  /** `messaging.system` of its spans: the registry has no value for an in-process bus. */
  readonly messaging = { publish: 'in_memory', consume: 'in_memory' } as const;
  readonly name: string;
  private readonly logger = new Logger(InMemoryTransport.name);
  private readonly eventLogger: EventLogger;
  private readonly emitter: EventEmitter2;
  private readonly listeners: Array<[string, Listener]> = [];
  private readonly bySelector = new Map<string, SelectorGroup>();
  private readonly maxDeadLetters: number;
  private readonly maxPendingRetries: number;
  private readonly deadLetterList: DeadLetter[] = [];
  private readonly retries = new Map<NodeJS.Timeout, () => void>();
  private readonly beforeStart: EventEnvelope[] = [];
  private idleWaiters: Array<() => void> = [];
  private inFlight = 0;
  /** Bumped at each restart: what an earlier run still settles is not retried into this one. */
  private generation = 0;
  private state: 'created' | 'started' | 'stopping' | 'stopped' = 'created';
  private monitor: TransportMonitor | undefined;
  /**
   * With its own emitter, nobody else adds listeners to it: the listeners an event type reaches
   * are looked up (through the emitter's wildcard tree) once per type, not on every publish.
   */
  private readonly ownEmitter: boolean;
  private readonly listenersByType = new Map<string, readonly Listener[]>();
  /**
   * Published and not yet emitted, in publish order, from `emitted` on. Emitted on a microtask,
   * at most `FLUSH_CHUNK` per microtask (see `flush`).
   */
  private pending: Array<EventEnvelope | undefined> = [];
  private emitted = 0;

  constructor(options: InMemoryTransportOptions = {}) {
    this.name = options.name ?? 'memory';
    this.ownEmitter = options.emitter === undefined;
    this.emitter =
      options.emitter ?? new EventEmitter2({ wildcard: true, delimiter: '.', maxListeners: 0 });
    // Handlers subscribe with wildcard selectors (`order.*`) and event types are dotted: another
    // configuration would deliver to the wrong handlers, or to none, without a word.
    const { wildcard, delimiter } = this.emitter as unknown as {
      wildcard?: boolean;
      delimiter?: string;
    };
    if (!wildcard || (delimiter ?? '.') !== '.') {
      throw new EventsConfigurationError(
        `InMemoryTransport "${this.name}": the emitter given must use wildcard: true and the "." ` +
          'delimiter, e.g. EventEmitterModule.forRoot({ wildcard: true }).',
      );
    }
    this.maxDeadLetters = options.maxDeadLetters ?? 10_000;
    this.maxPendingRetries = options.maxPendingRetries ?? 10_000;
    if (!Number.isSafeInteger(this.maxPendingRetries) || this.maxPendingRetries < 0) {
      throw new RangeError(
        `InMemoryTransport "${this.name}": maxPendingRetries must be an integer >= 0, got ${this.maxPendingRetries}.`,
      );
    }
    this.eventLogger = new EventLogger(InMemoryTransport.name, options.logPayloads);
  }

  /** Events that exhausted their retries or could not be processed, oldest first. */
  get deadLetters(): readonly DeadLetter[] {
    return this.deadLetterList;
  }

  clearDeadLetters(): void {
    this.deadLetterList.length = 0;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    if (this.state === 'stopped') {
      return Promise.reject(
        new TransportStoppedError(
          this.name,
          events.map((e) => e.id),
        ),
      );
    }
    if (this.state === 'created') {
      // Handlers subscribe at bootstrap; hold what is published earlier instead of losing it. One
      // by one: spread as arguments, a batch of 200,000 overflows the stack.
      for (const event of events) this.beforeStart.push(event);
      return Promise.resolve();
    }
    this.enqueue(events);
    return ACCEPTED;
  }

  /**
   * Queues events to be emitted on a microtask, so the publisher never runs (or waits for) handler
   * code; what is queued in one turn shares it. Counted as in flight meanwhile, so whenIdle()
   * cannot resolve in between.
   */
  private enqueue(events: readonly EventEnvelope[]): void {
    if (this.pending.length === 0) {
      this.inFlight++;
      queueMicrotask(this.flush);
    }
    for (const event of events) this.pending.push(event);
  }

  /**
   * Emits up to `FLUSH_CHUNK` pending events, then leaves the rest to another microtask, queued
   * behind what the handlers just started queued: a burst then keeps the runs of one chunk alive
   * at a time, not those of every event published, while the order stays the order of publishing
   * (events the handlers publish meanwhile join the same list).
   */
  private readonly flush = (): void => {
    const { pending } = this;
    const end = Math.min(pending.length, this.emitted + FLUSH_CHUNK);
    try {
      while (this.emitted < end) {
        const event = pending[this.emitted]!;
        // Released as it goes: the list may hold a long burst.
        pending[this.emitted++] = undefined;
        this.emit(event);
      }
    } finally {
      // Whatever happened to one event, the list goes on: a stalled list would hold every
      // later publish.
      if (this.emitted < pending.length) queueMicrotask(this.flush);
      else {
        this.pending = [];
        this.emitted = 0;
        this.done();
      }
    }
  };

  private emit(event: EventEnvelope): void {
    if (!this.ownEmitter) {
      try {
        this.emitter.emit(event.type, event);
      } catch (error) {
        // Only a listener of a given emitter can throw here (a handler's failure is its outcome):
        // said here, so that the events after this one are still emitted and counted.
        this.logger.error(
          `A listener of the emitter threw while event ${event.id} (${event.type}) was emitted; ` +
            `listeners after it did not receive the event (EventEmitter2 stops at a throw; catch ` +
            `errors in that listener): ${describeError(error)}`,
        );
      }
      return;
    }
    let listeners = this.listenersByType.get(event.type);
    if (!listeners) {
      listeners = this.emitter.listeners(event.type) as Listener[];
      // Any type can be published: keep the lookups of types someone listens to.
      if (listeners.length && this.listenersByType.size < MAX_CACHED_TYPES) {
        this.listenersByType.set(event.type, listeners);
      }
    }
    for (let i = 0; i < listeners.length; i++) listeners[i](event);
  }

  subscribe(subscription: EventSubscription): void {
    if (subscription.eventTypes.length === 1) {
      // One listener per selector, so that the handlers it reaches are dispatched together: with
      // many of them filtering on content, one pattern-index lookup picks those that run.
      const [selector] = subscription.eventTypes;
      let group = this.bySelector.get(selector);
      if (!group) {
        const created: SelectorGroup = { subscriptions: [] };
        this.bySelector.set(selector, created);
        this.listen(selector, (event) => {
          const set = (created.set ??= new SubscriptionSet(created.subscriptions, {
            routed: true,
          }));
          // Counted before any starts: a handler that returns at once settles inside dispatchTo.
          this.inFlight += set.for(event.type).length;
          set.dispatchTo(event, FIRST_DELIVERY, this.settleFirst);
        });
        group = created;
      }
      group.subscriptions.push(subscription);
      group.set = undefined;
      return;
    }
    // A handler that selects both `order.created` and `order.*` must still run once per event:
    // EventEmitter2 calls its listeners synchronously, so remember the event for this turn only.
    let current: EventEnvelope | undefined;
    const listener: Listener = (event) => {
      if (event === current) return;
      current = event;
      queueMicrotask(() => (current = undefined));
      this.deliver(subscription, event, 1);
    };
    for (const selector of subscription.eventTypes) this.listen(selector, listener);
  }

  start(context?: TransportContext): Promise<void> {
    this.monitor = context?.monitor ?? this.monitor;
    if (this.state === 'stopping') {
      return Promise.reject(
        new Error(
          `Transport "${this.name}" is still stopping: close the previous application (await ` +
            'app.close()) before starting another one on it.',
        ),
      );
    }
    if (this.state === 'started') return Promise.resolve();
    if (this.state === 'stopped') {
      this.generation++;
      this.settleFirst = this.settleFirstOf(this.generation);
    }
    this.state = 'started';
    // Ahead of what is published from now on, and as that is: a long backlog goes in parts too.
    const held = this.beforeStart.splice(0);
    if (held.length) this.enqueue(held);
    return Promise.resolve();
  }

  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.beforeStart.length) {
      this.logger.error(
        `Stopped before it started: ${this.beforeStart.length} event(s) published early were never ` +
          `delivered: ${this.beforeStart.map((e) => `${e.id} (${e.type})`).join(', ')}`,
      );
      this.beforeStart.length = 0;
    }
    this.state = 'stopping';
    if (!(await settlesWithin(this.whenIdle(), deadlineMs))) {
      this.logger.warn(
        `Drain deadline of ${deadlineMs} ms reached with ${this.inFlight} deliveries in flight ` +
          `(${this.retries.size} waiting to retry); waiting retries are dead-lettered.`,
      );
      for (const [retryTimer, giveUp] of this.retries) {
        clearTimeout(retryTimer);
        giveUp();
      }
    }
    for (const [selector, listener] of this.listeners) this.emitter.off(selector, listener);
    this.listeners.length = 0;
    this.listenersByType.clear();
    this.bySelector.clear();
    this.state = 'stopped';
  }

  health(): TransportHealth {
    return {
      status: this.state === 'started' || this.state === 'created' ? 'up' : 'down',
      details: {
        state: this.state,
        inFlight: this.inFlight,
        deadLetters: this.deadLetterList.length,
      },
    };
  }

  /** Resolves once no delivery is running or waiting to be retried. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0 && this.beforeStart.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private listen(selector: string, listener: Listener): void {
    this.emitter.on(selector, listener);
    this.listeners.push([selector, listener]);
    this.listenersByType.clear();
  }

  /**
   * Takes the outcome of a first delivery that `SubscriptionSet.dispatchTo` started; made again at
   * each start, so that what an earlier run settles is told apart.
   */
  private settleFirst: DeliveryDone = this.settleFirstOf(this.generation);

  private settleFirstOf(generation: number): DeliveryDone {
    return (outcome, subscription, event) =>
      this.settle(subscription, event, 1, outcome, generation);
  }

  private deliver(subscription: EventSubscription, event: EventEnvelope, attempt: number): void {
    this.inFlight++;
    const { generation } = this;
    void subscription
      .handle(event, { attempt, trusted: true })
      .then((outcome) => this.settle(subscription, event, attempt, outcome, generation));
  }

  private settle(
    subscription: EventSubscription,
    event: EventEnvelope,
    attempt: number,
    outcome: DeliveryOutcome,
    generation: number,
  ): void {
    if (outcome.status === 'retry') {
      // A retry nobody will run, once stopped (it was still running when the drain deadline
      // passed) or when a waiting retry is given up at the deadline.
      const giveUp = (): void => {
        this.addDeadLetter(subscription, event, {
          reason: 'shutdown',
          error: outcome.error,
          attempts: attempt,
        });
        this.done();
      };
      if (this.state === 'stopped' || generation !== this.generation) return giveUp();
      if (this.retries.size >= this.maxPendingRetries) {
        this.eventLogger.warn(
          `${this.retries.size} deliveries are already waiting to retry (maxPendingRetries); ` +
            `event ${event.id} (${event.type}) for ${subscription.handler} is dead-lettered instead`,
          event,
          { handler: subscription.handler, attempt, reason: 'overflow' },
        );
        this.addDeadLetter(subscription, event, {
          reason: 'overflow',
          error: outcome.error,
          attempts: attempt,
        });
        return this.done();
      }
      const retry = (): void => {
        this.retries.delete(timer);
        this.inFlight--;
        this.deliver(subscription, event, attempt + 1);
      };
      const timer = setTimeout(retry, outcome.delayMs);
      this.retries.set(timer, () => {
        this.retries.delete(timer);
        giveUp();
      });
      return;
    }
    if (outcome.status === 'dead-letter') this.addDeadLetter(subscription, event, outcome);
    this.done();
  }

  private addDeadLetter(
    subscription: EventSubscription,
    event: EventEnvelope,
    reason: DeadLetterReason,
  ): void {
    const { handler } = subscription;
    this.deadLetterList.push({
      event,
      handler,
      reason: reason.reason,
      error: reason.error,
      attempts: reason.attempts,
      deadLetteredAt: new Date(),
    });
    if (this.monitor?.observed) {
      const { name: transport } = this;
      this.monitor.notify({ kind: 'dead-lettered', event, handler, transport, ...reason });
    }
    if (this.deadLetterList.length > this.maxDeadLetters) {
      const dropped = this.deadLetterList.shift()!;
      // The dropped event is lost for good: its record is the last trace of it.
      this.eventLogger.error(
        `Dead-letter list is full (${this.maxDeadLetters}); dropped the oldest entry: event ` +
          `${dropped.event.id} (${dropped.event.type}) for ${dropped.handler}. Raise ` +
          'maxDeadLetters or drain the list.',
        dropped.event,
        {
          handler: dropped.handler,
          attempt: dropped.attempts,
          reason: dropped.reason,
          // Described, not passed as is: its stack was logged when it was dead-lettered.
          error: describeError(dropped.error),
        },
      );
    }
  }

  private done(): void {
    this.inFlight--;
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.inFlight === 0 && this.beforeStart.length === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
