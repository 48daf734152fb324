import type { INestApplicationContext } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { EVENTS_TRANSPORTS } from '../events.constants';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { compileTypeMatcher } from '../selectors/event-type-matcher';
import type {
  EventNotification,
  EventScopedNotification,
} from '../monitor/event-notification.interface';
import { EventsMonitor } from '../monitor/events.monitor';
import type { Transport } from '../transport/transport.interface';

type Kind = EventNotification['kind'];
type NotificationOf<K extends Kind> = Extract<EventNotification, { kind: K }>;
/** Kinds whose notifications are about one event (not poison or failed broker calls). */
type EventKind = EventScopedNotification['kind'];

export interface WaitOptions {
  /** Rejects after this long, listing what was seen. @default 5000 */
  timeoutMs?: number;
}

interface Waiter {
  readonly kind: Kind;
  readonly accepts: (notification: EventNotification) => boolean;
  readonly resolve: (notification: EventNotification) => void;
}

/**
 * Records what an application's events do, for tests: what was published, handled, skipped,
 * retried and dead-lettered, and promises that resolve when a given thing happens.
 *
 * ```ts
 * const probe = EventProbe.attach(app);
 * await request(app.getHttpServer()).post('/orders').send(order);
 * const { event } = await probe.waitFor('points.credited');
 * ```
 */
export class EventProbe {
  private readonly log: EventNotification[] = [];
  private waiters: Waiter[] = [];
  private readonly subscription: Subscription;

  private constructor(
    monitor: EventsMonitor,
    private readonly transports: readonly Transport[],
  ) {
    this.subscription = monitor.notifications$.subscribe((notification) =>
      this.record(notification),
    );
  }

  /** Starts recording the events of `app`; attach before the events you wait for are published. */
  static attach(app: INestApplicationContext): EventProbe {
    return new EventProbe(
      app.get(EventsMonitor, { strict: false }),
      app.get<readonly Transport[]>(EVENTS_TRANSPORTS, { strict: false }),
    );
  }

  /** Every notification so far, in order. */
  get notifications(): readonly EventNotification[] {
    return this.log;
  }

  /** Events published so far. */
  get published(): EventEnvelope[] {
    return this.of('published').map((n) => n.event);
  }

  /** Successful handler runs so far. */
  get handled(): NotificationOf<'handled'>[] {
    return this.of('handled');
  }

  get deadLettered(): NotificationOf<'dead-lettered'>[] {
    return this.of('dead-lettered');
  }

  of<K extends Kind>(kind: K): NotificationOf<K>[] {
    return this.log.filter((n): n is NotificationOf<K> => n.kind === kind);
  }

  /** Resolves when a handler has handled an event of `type` (a type or wildcard) that fits `predicate`. */
  waitFor(
    type: string,
    predicate?: (event: EventEnvelope, notification: NotificationOf<'handled'>) => boolean,
    options?: WaitOptions,
  ): Promise<NotificationOf<'handled'>> {
    return this.waitForNotification('handled', type, predicate, options);
  }

  waitForPublished(
    type: string,
    predicate?: (event: EventEnvelope) => boolean,
    options?: WaitOptions,
  ): Promise<EventEnvelope> {
    return this.waitForNotification('published', type, predicate, options).then((n) => n.event);
  }

  waitForSkipped(
    type: string,
    predicate?: (event: EventEnvelope, notification: NotificationOf<'skipped'>) => boolean,
    options?: WaitOptions,
  ): Promise<NotificationOf<'skipped'>> {
    return this.waitForNotification('skipped', type, predicate, options);
  }

  waitForDeadLetter(
    type: string,
    predicate?: (event: EventEnvelope, notification: NotificationOf<'dead-lettered'>) => boolean,
    options?: WaitOptions,
  ): Promise<NotificationOf<'dead-lettered'>> {
    return this.waitForNotification('dead-lettered', type, predicate, options);
  }

  /** Resolves when every transport that can tell (the in-memory one) has nothing in flight. */
  async waitForIdle(): Promise<void> {
    for (const transport of this.transports) {
      const idle = (transport as Partial<{ whenIdle(): Promise<void> }>).whenIdle;
      if (idle) await idle.call(transport);
    }
  }

  /** Forgets what was recorded so far. */
  clear(): void {
    this.log.length = 0;
  }

  /** Stops recording; pending waits reject. */
  detach(): void {
    this.subscription.unsubscribe();
  }

  /** Resolves on the first notification of `kind` for an event of `type` that fits `predicate`. */
  waitForNotification<K extends EventKind>(
    kind: K,
    type: string,
    predicate?: (event: EventEnvelope, notification: NotificationOf<K>) => boolean,
    { timeoutMs = 5000 }: WaitOptions = {},
  ): Promise<NotificationOf<K>> {
    const matchesType = compileTypeMatcher(type);
    const accepts = (n: EventNotification): boolean =>
      n.kind === kind &&
      'event' in n &&
      n.event !== undefined &&
      matchesType(n.event.type) &&
      (!predicate || predicate(n.event, n as NotificationOf<K>));
    const already = this.log.find(accepts);
    if (already) return Promise.resolve(already as NotificationOf<K>);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        accepts,
        resolve: (n) => {
          clearTimeout(timer);
          resolve(n as NotificationOf<K>);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.log.map(describeNotification).join(', ') || 'nothing';
        reject(
          new Error(
            `No "${kind}" notification for "${type}" within ${timeoutMs} ms; seen: ${seen}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private record(notification: EventNotification): void {
    this.log.push(notification);
    if (!this.waiters.length) return;
    const pending: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.accepts(notification)) waiter.resolve(notification);
      else pending.push(waiter);
    }
    this.waiters = pending;
  }
}

function describeNotification(n: EventNotification): string {
  if ('event' in n && n.event) return `${n.kind} ${n.event.type}`;
  return 'queue' in n ? `${n.kind} on ${n.queue}` : n.kind;
}
