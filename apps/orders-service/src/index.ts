export { OrdersServiceModule } from './app.module';
export { OrdersModule } from './orders.module';
export { OrdersService } from './orders/orders.service';
export type { Order, PlaceOrder } from './orders/order';
export { OrdersDatabase } from './persistence/orders.database';
export { OrdersDatabaseModule } from './persistence/orders-database.module';
