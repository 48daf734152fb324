import { Module } from '@nestjs/common';
import { EventsModule } from '@nestjs-events/core';
import { NotificationsModule } from './notifications.module';

@Module({
  imports: [EventsModule.forRoot({ source: 'notifications-service' }), NotificationsModule],
})
export class NotificationsServiceModule {}
