import { NestFactory } from '@nestjs/core';
import { READY_LINE } from '../worker.constants';
import { readOutboxWorkerConfig } from './outbox-worker.config';
import { OutboxWorkerModule } from './outbox-worker.module';
import { OutboxProducer } from './outbox.producer';

/**
 * An outbox producer or inbox consumer for the reliability scenarios (test/reliability r9-r13),
 * configured from the environment; runs until SIGTERM (drains, then exits) or SIGKILL.
 */
async function main(): Promise<void> {
  const config = readOutboxWorkerConfig(process.env);
  const app = await NestFactory.createApplicationContext(OutboxWorkerModule.forConfig(config), {
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  console.log(`${READY_LINE}: ${config.worker} (pid ${process.pid})`);
  if (config.role === 'producer' && config.produce > 0) {
    const produced = await app.get(OutboxProducer).produce();
    console.log(`PRODUCED ${JSON.stringify(produced)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
