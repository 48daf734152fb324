import { Module } from '@nestjs/common';
import { eventsFromEnv } from '@sample/events-config';
import { NotificationsModule } from './notifications.module';

/** The queue the service's handlers read, unless EVENTS_QUEUE names another. */
export const NOTIFICATIONS_QUEUE = 'notifications';

/**
 * The notifications service on its own; EVENTS_TRANSPORT picks the transport (memory by
 * default), and its handlers read the queue `notifications` (or EVENTS_QUEUE).
 */
@Module({
  imports: [
    eventsFromEnv('notifications-service', { queue: NOTIFICATIONS_QUEUE }),
    NotificationsModule,
  ],
})
export class NotificationsServiceModule {}
