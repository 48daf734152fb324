import { startService, type ServiceProcess } from '../apps/demo/src/service.process';
import { runShopScenario } from '../apps/demo/src/shop.scenario';
import { endpointOf, uniqueName, type Emulator } from './fixtures/aws';
import { buildWorkspace } from './fixtures/build';

jest.setTimeout(120_000);

// The services run as separate Node.js processes from their build output.
beforeAll(() => {
  buildWorkspace();
});

describe.each<[string, Emulator]>([
  ['sns-sqs', 'fauxqs'],
  ['eventbridge', 'moto'],
  ['sns-sqs', 'localstack'],
  ['eventbridge', 'localstack'],
])('the sample shop as two processes over %s on %s', (transport, emulator) => {
  const services: ServiceProcess[] = [];

  afterEach(async () => {
    const exits = await Promise.all(services.splice(0).map((service) => service.stop()));
    // SIGTERM drains and closes the app, then Nest re-raises it: nothing hung on shutdown.
    expect(exits).toEqual([
      { code: null, signal: 'SIGTERM' },
      { code: null, signal: 'SIGTERM' },
    ]);
  });

  it('places orders in one process and notifies in the other, in one correlation', async () => {
    const name = uniqueName('shop');
    const env = {
      EVENTS_TRANSPORT: transport,
      EVENTS_PROVISION: 'true',
      AWS_ENDPOINT_URL: endpointOf(emulator),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      EVENTS_TOPIC_PREFIX: `${name}-`,
      EVENT_BUS_NAME: name,
      EVENTS_QUEUE: `${name}-notifications`,
    };
    try {
      services.push(await startService('notifications-service', env));
      services.push(await startService('orders-service', env));
      const [notifications, orders] = services;
      const result = await runShopScenario(orders.url, notifications.url, 60_000);
      const confirmation = result.emails.find((e) => e.template === 'order-confirmation');
      expect(confirmation).toMatchObject({
        to: result.userId,
        correlationId: result.correlationId,
      });
      expect(result.emails.find((e) => e.template === 'welcome')).toMatchObject({
        to: 'minji@example.com',
      });
      // 1 % of 25,000 and of 150,000.
      expect(result.points).toBe(1750);
    } catch (error) {
      for (const service of services) console.error(`--- ${service.name} ---\n${service.output()}`);
      throw error;
    }
  });
});
