import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventsModule } from '@nestjs-events/core';
import { transportsFromConfig } from '@sample/events-config';
import { OrdersModule } from './orders.module';
import { OrdersDatabase } from './persistence/orders.database';
import { OrdersDatabaseModule } from './persistence/orders-database.module';

/**
 * The orders service on its own; EVENTS_TRANSPORT picks the transport (memory by default), and
 * DATABASE_URL (optional) a PostgreSQL database for the orders and the outbox.
 */
@Module({
  imports: [
    EventsModule.forRootAsync({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), OrdersDatabaseModule],
      inject: [ConfigService, OrdersDatabase],
      useFactory: (config: ConfigService, database: OrdersDatabase) => ({
        source: 'orders-service',
        transports: database.transports(transportsFromConfig(config)),
      }),
    }),
    OrdersModule,
  ],
})
export class OrdersServiceModule {}
