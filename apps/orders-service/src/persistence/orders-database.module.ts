import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { OrdersDatabase } from './orders.database';

/** One `OrdersDatabase` per application, from `DATABASE_URL`. */
@Module({
  imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
  providers: [
    {
      provide: OrdersDatabase,
      inject: [ConfigService],
      useFactory: (config: ConfigService) =>
        new OrdersDatabase(config.get<string>('DATABASE_URL') || undefined),
    },
  ],
  exports: [OrdersDatabase],
})
export class OrdersDatabaseModule {}
