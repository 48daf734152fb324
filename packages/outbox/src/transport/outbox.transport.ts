import type { EventEnvelope, Transport, TransportHealth } from '@nestjs-events/core';
import type { EventSubscription } from '@nestjs-events/core/transport';
import { currentOutboxScope } from '../context/outbox.scope';
import { OutboxStoreMismatchError, OutboxTransactionRequiredError } from '../outbox.errors';
import type { OutboxRecord, OutboxStore } from '../outbox-store.interface';
import { OutboxRelay, type OutboxRelayOptions } from '../relay/outbox.relay';

export interface OutboxTransportOptions {
  /** Where the rows are written, in the transaction of the publish. */
  store: OutboxStore;
  /**
   * The key events are kept in order by: events with one key reach the broker in the order they
   * were committed; events without a key are not ordered. Transactions that publish for one key
   * must be serialized by the database (they update the aggregate's row, say), or their commit
   * order is theirs to settle.
   * @default (event) => event.aggregateId
   */
  orderKey?: (event: EventEnvelope) => string | undefined;
  /**
   * What a publish does when no outbox transaction is in progress: `direct` hands the events to
   * the wrapped transport at once (as without an outbox); `outbox` writes them to the outbox in a
   * transaction of their own, to be relayed (durable, not atomic with anything); `reject` throws
   * `OutboxTransactionRequiredError`.
   * @default 'direct'
   */
  outsideTransaction?: 'direct' | 'outbox' | 'reject';
  /**
   * The relay of this instance, or `false` for an instance that only writes (another process
   * relays). Every instance may run one: they never send the same row at once.
   * @default {}
   */
  relay?: OutboxRelayOptions | false;
}

/** The type of a transport's optional `messaging` description, whatever the core version has. */
type MessagingOf<T> = T extends { readonly messaging?: infer M } ? M : never;

/**
 * A transport that writes what is published inside an outbox transaction to the outbox, in that
 * transaction, instead of sending it; the relay sends it through the wrapped transport after the
 * commit. It has the wrapped transport's name, so `routes` and handler options stay as they are,
 * and consuming is the wrapped transport's.
 */
export class OutboxTransport implements Transport {
  readonly name: string;
  /** What the wrapped transport says it publishes to (for tracing), when it says. */
  readonly messaging?: MessagingOf<Transport>;
  /** This instance's relay, when it runs one. */
  readonly relay: OutboxRelay | undefined;
  private readonly store: OutboxStore;
  private readonly orderKey: (event: EventEnvelope) => string | undefined;
  private readonly outside: 'direct' | 'outbox' | 'reject';

  constructor(
    /** The transport that sends, and consumes. */
    readonly inner: Transport,
    options: OutboxTransportOptions,
  ) {
    if (!options?.store) {
      throw new TypeError(
        `withOutbox(${inner?.name ?? 'transport'}): a store is required, e.g. new PostgresOutboxStore({ pool }).`,
      );
    }
    this.name = inner.name;
    this.messaging = (inner as { readonly messaging?: MessagingOf<Transport> }).messaging;
    this.store = options.store;
    this.orderKey = options.orderKey ?? ((event) => event.aggregateId);
    this.outside = options.outsideTransaction ?? 'direct';
    this.relay =
      options.relay === false
        ? undefined
        : new OutboxRelay(
            this.store,
            this.name,
            (events) => inner.publish(events),
            options.relay ?? {},
          );
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    const scope = currentOutboxScope();
    if (!scope) {
      if (this.outside === 'direct') return this.inner.publish(events);
      if (this.outside === 'reject') throw new OutboxTransactionRequiredError(this.name);
      await this.store.appendCommitted(this.name, this.records(events));
      this.relay?.poke();
      return;
    }
    if (scope.store !== this.store) {
      throw new OutboxStoreMismatchError(
        this.name,
        this.store.description,
        scope.store.description,
      );
    }
    await this.store.append(scope.transaction, this.name, this.records(events));
  }

  subscribe(subscription: EventSubscription): void {
    this.inner.subscribe(subscription);
  }

  // Whatever `start` is given (the transport context) goes to the wrapped transport as it is.
  async start(...context: Parameters<Transport['start']>): Promise<void> {
    await this.inner.start(...context);
    await this.relay?.start(context[0]?.monitor);
  }

  /** Drains the relay first (the wrapped transport still sends), then stops the wrapped transport. */
  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    const startedAt = Date.now();
    await this.relay?.stop({ deadlineMs: Math.floor(deadlineMs / 2) });
    await this.inner.stop({ deadlineMs: Math.max(0, deadlineMs - (Date.now() - startedAt)) });
  }

  async health(): Promise<TransportHealth> {
    const inner = await this.inner.health();
    if (!this.relay) return inner;
    const relay = this.relay.metrics();
    const outbox = {
      store: this.store.description,
      storeReachable: relay.storeReachable,
      sent: relay.sent,
      failed: relay.failed,
      parked: relay.parked,
      ...(relay.lastLagMs === undefined ? {} : { lastLagMs: relay.lastLagMs }),
      ...(relay.lastError === undefined ? {} : { lastError: relay.lastError }),
    };
    return {
      status: inner.status === 'up' && relay.storeReachable ? 'up' : 'down',
      details: { ...inner.details, outbox },
    };
  }

  private records(events: readonly EventEnvelope[]): OutboxRecord[] {
    return events.map((envelope) => {
      const orderKey = this.orderKey(envelope);
      return orderKey === undefined ? { envelope } : { envelope, orderKey };
    });
  }
}

/**
 * Wraps `transport` with the outbox: `transports: [withOutbox(new SnsSqsTransport(…), { store })]`.
 */
export function withOutbox(transport: Transport, options: OutboxTransportOptions): OutboxTransport {
  return new OutboxTransport(transport, options);
}
