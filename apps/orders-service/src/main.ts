import { NestFactory } from '@nestjs/core';
import { OrdersServiceModule } from './app.module';

/** Runs the orders service alone (its events stay in this process on the in-memory transport). */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(OrdersServiceModule);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1');
}

void bootstrap();
