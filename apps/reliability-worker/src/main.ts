import { NestFactory } from '@nestjs/core';
import { readWorkerConfig } from './worker.config';
import { READY_LINE } from './worker.constants';
import { WorkerModule } from './worker.module';

/**
 * A consumer process for the reliability scenarios (test/reliability): configured from the
 * environment, consuming until SIGTERM (drains, then exits by the signal) or SIGKILL.
 */
async function main(): Promise<void> {
  const config = readWorkerConfig(process.env);
  const app = await NestFactory.createApplicationContext(WorkerModule.forConfig(config), {
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  // Nest has bootstrapped: the transport has found its queue and started polling.
  console.log(`${READY_LINE}: ${config.worker} (pid ${process.pid})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
