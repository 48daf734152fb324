import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EventHandlerExplorer } from '../discovery/event-handler.explorer';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import { SubscriptionFactory } from '../subscription/subscription.factory';
import { TransportRegistry } from '../transport/transport.registry';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Starts consuming once the whole application is built: every handler is found and its
 * subscription built (so a handler that cannot work fails the start before any transport runs),
 * all are subscribed, then the transports start. On close, drains every transport against one
 * deadline.
 */
@Injectable()
export class EventsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventsLifecycle.name);

  constructor(
    private readonly explorer: EventHandlerExplorer,
    private readonly subscriptions: SubscriptionFactory,
    private readonly transports: TransportRegistry,
    @Inject(EVENTS_MODULE_OPTIONS) private readonly options: EventsModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const built = this.explorer.explore().flatMap((found) => this.subscriptions.create(found));
    for (const { transport, subscription } of built) {
      this.transports.get(transport, subscription.handler).subscribe(subscription);
    }
    await Promise.all(this.transports.transports.map((transport) => transport.start()));
    this.logger.log(
      `${built.length} event handler(s) on ${this.transports.transports.map((t) => t.name).join(', ')}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const deadlineMs = this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    await Promise.all(
      this.transports.transports.map((transport) => transport.stop({ deadlineMs })),
    );
  }
}
