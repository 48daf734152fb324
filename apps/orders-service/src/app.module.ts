import { Module } from '@nestjs/common';
import { EventsModule } from '@nestjs-events/core';
import { OrdersModule } from './orders.module';

@Module({
  imports: [EventsModule.forRoot({ source: 'orders-service' }), OrdersModule],
})
export class OrdersServiceModule {}
