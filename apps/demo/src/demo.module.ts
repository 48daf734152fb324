import { Module, type DynamicModule } from '@nestjs/common';
import { EventsModule, InMemoryTransport } from '@nestjs-events/core';
import { NotificationsModule } from '@sample/notifications-service';
import { OrdersModule } from '@sample/orders-service';

/** Both services in one application, on one in-memory transport. */
@Module({})
export class DemoModule {
  static register(transport: InMemoryTransport): DynamicModule {
    return {
      module: DemoModule,
      imports: [
        EventsModule.forRoot({ source: 'sample-shop', transports: [transport] }),
        OrdersModule,
        NotificationsModule,
      ],
    };
  }
}
