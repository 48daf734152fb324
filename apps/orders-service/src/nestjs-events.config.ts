import { OrderCreated, UserRegistered } from '@sample/contracts';
import { eventsOptionsFromEnv } from '@sample/events-config';
import { OrdersServiceModule } from './app.module';

/**
 * What `npx nestjs-events <command> --config dist/nestjs-events.config.js` reads: the module, the
 * transports its forRootAsync factory builds (from the same environment variables; the outbox,
 * when DATABASE_URL is set, sends through them), and what it publishes.
 */
export default {
  module: OrdersServiceModule,
  events: () => eventsOptionsFromEnv('orders-service'),
  publishes: [OrderCreated, UserRegistered],
  title: 'Orders service',
};
