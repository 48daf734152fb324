import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EventHandlerExplorer } from '../discovery/event-handler.explorer';
import { IDEMPOTENCY_STORE } from '../events.constants';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { IdempotencyStore } from '../idempotency/idempotency-store.interface';
import { MemoryIdempotencyStore } from '../idempotency/memory-idempotency.store';
import { resolveIdempotencyOptions } from '../idempotency/resolve-idempotency-options';
import { StoreDeliveryLedger } from '../idempotency/store-delivery.ledger';
import { EventsMonitor } from '../monitor/events.monitor';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import { SubscriptionFactory } from '../subscription/subscription.factory';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import type { Transport, TransportContext } from '../transport/transport.interface';
import { TransportRegistry } from '../transport/transport.registry';
import { EventsDrain } from './events-drain.module';
import { settlesWithin } from './settles-within';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;

/**
 * Starts consuming once the whole application is built: every handler is found and its
 * subscription built (so a handler that cannot work fails the start before any transport runs),
 * all are subscribed, then the transports start, given the monitor and the delivery ledger. On
 * close, drains every transport against one deadline, first thing (see `EventsDrain`).
 */
@Injectable()
export class EventsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventsLifecycle.name);
  private readonly context: TransportContext;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly explorer: EventHandlerExplorer,
    private readonly subscriptions: SubscriptionFactory,
    private readonly transports: TransportRegistry,
    @Inject(EVENTS_MODULE_OPTIONS) private readonly options: EventsModuleOptions,
    monitor: EventsMonitor,
    @Inject(IDEMPOTENCY_STORE) store: IdempotencyStore,
    drain: EventsDrain,
  ) {
    const { ttlMs, operationTimeoutMs } = resolveIdempotencyOptions(
      'EventsModule idempotency',
      options.idempotency,
    );
    const shared = !(store instanceof MemoryIdempotencyStore);
    this.context = {
      monitor,
      deliveries: new StoreDeliveryLedger(store, { ttlMs, operationTimeoutMs, shared }),
    };
    drain.register(() => this.drain());
  }

  async onApplicationBootstrap(): Promise<void> {
    this.draining = undefined;
    const found = this.explorer.explore();
    await this.subscriptions.prepare(found);
    const built = found.flatMap((handler) => this.subscriptions.create(handler));
    for (const { transport, subscription } of built) {
      this.transports.get(transport, subscription.handler).subscribe(subscription);
    }
    const startTimeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    await Promise.all(
      this.transports.transports.map((transport) => this.start(transport, startTimeoutMs)),
    );
    this.logger.log(
      `${built.length} event handler(s) on ${this.transports.transports.map((t) => t.name).join(', ')}`,
    );
  }

  /**
   * Starts a transport within `timeoutMs`: a broker that accepts connections but never answers
   * (or provisioning that hangs) fails the bootstrap, naming the transport, instead of hanging it.
   */
  private async start(transport: Transport, timeoutMs: number): Promise<void> {
    const started = transport.start(this.context);
    if (await settlesWithin(started, timeoutMs)) return started;
    // Stopped so that a start finishing later does not consume inside a failed application.
    void started.then(
      () => transport.stop({ deadlineMs: 0 }),
      () => undefined,
    );
    throw new EventsConfigurationError(
      `Transport "${transport.name}" did not start within ${timeoutMs} ms: its broker may accept ` +
        'connections without answering, or provisioning is slow. Check its endpoint and region, ' +
        'or raise the EventsModule option startTimeoutMs.',
    );
  }

  /** Done already, first thing on close, unless EventsDrain could not be placed first. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /** Stops every transport against one deadline; once per close. */
  private drain(): Promise<void> {
    if (!this.draining) {
      const deadlineMs = this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
      this.draining = Promise.all(
        this.transports.transports.map((transport) => transport.stop({ deadlineMs })),
      ).then(() => undefined);
    }
    return this.draining;
  }
}
