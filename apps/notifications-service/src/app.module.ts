import { Module } from '@nestjs/common';
import { eventsFromEnv } from '@sample/events-config';
import { NotificationsModule } from './notifications.module';

/**
 * The notifications service on its own; EVENTS_TRANSPORT picks the transport (memory by
 * default), and its handlers read the queue `notifications` (or EVENTS_QUEUE).
 */
@Module({
  imports: [
    eventsFromEnv('notifications-service', { queue: 'notifications' }),
    NotificationsModule,
  ],
})
export class NotificationsServiceModule {}
