import { EmailSent, OrderCreatedV1, PaymentAuthorized, PointsCredited } from '@sample/contracts';
import { eventsOptionsFromEnv } from '@sample/events-config';
import { NOTIFICATIONS_QUEUE, NotificationsServiceModule } from './app.module';

/**
 * What `npx nestjs-events <command> --config dist/nestjs-events.config.js` reads: the module, the
 * transports its forRootAsync factory builds (from the same environment variables), what it
 * publishes, and the older versions its handlers take (upcast on arrival).
 */
export default {
  module: NotificationsServiceModule,
  events: () => eventsOptionsFromEnv('notifications-service', { queue: NOTIFICATIONS_QUEUE }),
  publishes: [EmailSent, PaymentAuthorized, PointsCredited],
  accepts: [OrderCreatedV1],
  title: 'Notifications service',
};
