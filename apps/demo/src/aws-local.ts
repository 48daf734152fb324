import { startFauxqs, startLocalStack, startMoto, type RunningServer } from '@sample/emulators';
import { startService, type ServiceProcess } from './service.process';
import { runShopScenario } from './shop.scenario';

/**
 * The shop as two processes talking over AWS APIs, on emulators started here on loopback:
 * fauxqs for SNS/SQS (default) or moto for EventBridge (`--eventbridge`); with `--localstack`,
 * LocalStack for either, run natively from `.venv-localstack`. With a LocalStack in Docker
 * (docker compose up), run the services yourself instead: see the README.
 */
async function main(): Promise<void> {
  const transport = process.argv.includes('--eventbridge') ? 'eventbridge' : 'sns-sqs';
  const emulator: RunningServer = process.argv.includes('--localstack')
    ? await startLocalStack()
    : transport === 'eventbridge'
      ? await startMoto()
      : await startFauxqs();
  const env = {
    EVENTS_TRANSPORT: transport,
    EVENTS_PROVISION: 'true',
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  const services: ServiceProcess[] = [];
  try {
    console.log(`${emulator.name} on ${emulator.endpoint}; transport ${transport}`);
    // The consumer first: it provisions the queue and its subscriptions before anything is published.
    services.push(await startService('notifications-service', env));
    services.push(await startService('orders-service', env));
    const [notifications, orders] = services;
    console.log(`orders-service on ${orders.url}, notifications-service on ${notifications.url}`);
    const result = await runShopScenario(orders.url, notifications.url);
    console.log(`\nEmails sent by notifications-service (${result.emails.length}):`);
    for (const email of result.emails) {
      console.log(
        `  - ${email.template.padEnd(18)} correlation ${email.correlationId}: ${email.subject}`,
      );
    }
    console.log(`Points of ${result.userId}: ${result.points}`);
  } catch (error) {
    for (const service of services)
      console.error(`--- ${service.name} output ---\n${service.output()}`);
    throw error;
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
