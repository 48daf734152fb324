import { Module } from '@nestjs/common';
import { eventsFromEnv } from '@sample/events-config';
import { OrdersModule } from './orders.module';

/** The orders service on its own; EVENTS_TRANSPORT picks the transport (memory by default). */
@Module({
  imports: [eventsFromEnv('orders-service'), OrdersModule],
})
export class OrdersServiceModule {}
