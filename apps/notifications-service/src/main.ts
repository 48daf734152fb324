import { NestFactory } from '@nestjs/core';
import { NotificationsServiceModule } from './app.module';

/** Runs the notifications service alone (it handles what is published in this process). */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(NotificationsServiceModule);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3002), process.env.HOST ?? '127.0.0.1');
}

void bootstrap();
