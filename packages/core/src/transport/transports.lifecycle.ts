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
import { TransportRegistry } from './transport.registry';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Wires handlers to transports once the whole application is built (so every handler is known
 * before the first event is consumed), and drains the transports when the application closes.
 */
@Injectable()
export class TransportsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TransportsLifecycle.name);

  constructor(
    private readonly explorer: EventHandlerExplorer,
    private readonly transports: TransportRegistry,
    @Inject(EVENTS_MODULE_OPTIONS) private readonly options: EventsModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.explorer.explore();
    for (const { transport, subscription } of handlers) {
      this.transports.get(transport, subscription.handler).subscribe(subscription);
    }
    await Promise.all(this.transports.transports.map((transport) => transport.start()));
    this.logger.log(
      `${handlers.length} event handler(s) on ${this.transports.transports.map((t) => t.name).join(', ')}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const deadlineMs = this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    await Promise.all(
      this.transports.transports.map((transport) => transport.stop({ deadlineMs })),
    );
  }
}
