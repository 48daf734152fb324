import { Module } from '@nestjs/common';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { UsersController } from './users/users.controller';

/** The orders service's features. Needs EventsModule (global) in the application. */
@Module({
  controllers: [OrdersController, UsersController],
  providers: [OrdersService],
  exports: [OrdersService],
})
export class OrdersModule {}
