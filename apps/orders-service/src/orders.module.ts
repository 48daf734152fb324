import { Module } from '@nestjs/common';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { OrdersDatabaseModule } from './persistence/orders-database.module';
import { UsersController } from './users/users.controller';

/**
 * The orders service's features. Needs EventsModule (global) in the application; with
 * `DATABASE_URL` set, its transports wrapped by `OrdersDatabase.transports` (as
 * `OrdersServiceModule` does) so that events go through the outbox.
 */
@Module({
  imports: [OrdersDatabaseModule],
  controllers: [OrdersController, UsersController],
  providers: [OrdersService],
  exports: [OrdersService],
})
export class OrdersModule {}
