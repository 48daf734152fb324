import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Controller, Get, Injectable } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { EventBus, EventHandler, type EventOf } from '@nestjs-events/core';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { EventsHealthIndicator, EventsHealthModule } from '@nestjs-events/terminus';
import request from 'supertest';
import { startFauxqs, type RunningServer } from '../../libs/emulators/src';
import { uniqueName } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened } from '../fixtures/events';
import { until } from '../fixtures/until';

jest.setTimeout(60_000);

@Injectable()
class Recorder {
  readonly names: string[] = [];
  @EventHandler(ThingHappened)
  onThing(event: EventOf<typeof ThingHappened>) {
    this.names.push(event.data.name);
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly events: EventsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.events.isHealthy()]);
  }
}

interface ConsumerDetails {
  status: 'up' | 'down';
  reason?: string;
  consecutiveFailures: number;
  lastReceiveAt?: string;
  lastError?: { message: string };
}

/** The body of GET /health: `info` when up, `error` when down, `details` always. */
interface HealthBody {
  status: 'ok' | 'error';
  details: {
    events: { status: string; transports: Record<string, { consumers: ConsumerDetails[] }> };
  };
}

/**
 * The emulator is this test's own, not the global one: stopping it is the outage. fauxqs keeps
 * its state in memory, so the instance started again on the same port knows no topic or queue.
 * The test creates them with its own clients, once before the application starts and again
 * after the restart, under the same names: the transport (provision off) keeps the URL and ARN
 * it resolved at start, and those are the same again, as they would be after a real outage.
 */
describe('EventsHealthIndicator with SNS/SQS through a broker outage', () => {
  let fauxqs: RunningServer | undefined;
  let app: TestApp | undefined;
  let sns: SNSClient | undefined;
  let sqs: SQSClient | undefined;

  afterEach(async () => {
    await app?.app.close();
    await fauxqs?.stop();
    sns?.destroy();
    sqs?.destroy();
  });

  it('reports DOWN while fauxqs is gone and UP once it is back, then delivers again', async () => {
    fauxqs = await startFauxqs();
    const port = Number(new URL(fauxqs.endpoint).port);
    const aws = {
      region: 'us-east-1',
      endpoint: fauxqs.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    sns = new SNSClient(aws);
    sqs = new SQSClient(aws);
    const prefix = uniqueName('health');
    const queue = `${prefix}-q`;
    const deadLetterQueue = `${prefix}-dlq`;

    /** Topic, queue, dead-letter queue and a raw subscription: what provisioning would create. */
    const createInfrastructure = async (): Promise<string> => {
      const { TopicArn } = await sns!.send(new CreateTopicCommand({ Name: `${prefix}-things` }));
      await sqs!.send(new CreateQueueCommand({ QueueName: deadLetterQueue }));
      const { QueueUrl } = await sqs!.send(new CreateQueueCommand({ QueueName: queue }));
      const { Attributes } = await sqs!.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      await sns!.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: Attributes!.QueueArn,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      );
      return TopicArn!;
    };
    const topicArn = await createInfrastructure();

    app = await createTestApp(
      {
        imports: [TerminusModule.forRoot({ logger: false }), EventsHealthModule],
        controllers: [HealthController],
        providers: [Recorder],
      },
      {
        transports: [
          new SnsSqsTransport({
            ...aws,
            topics: { arn: topicArn },
            // Short polls and back-off, so the outage and the recovery show within a second.
            queues: [{ name: queue, deadLetterQueue, waitTimeSeconds: 1, maxPollBackoffMs: 500 }],
          }),
        ],
      },
    );
    const server = app.app.getHttpServer() as Parameters<typeof request>[0];
    const health = async () => {
      const response = await request(server).get('/health');
      const body = response.body as HealthBody;
      return {
        code: response.status,
        body,
        consumer: body.details.events.transports['sns-sqs'].consumers[0],
      };
    };
    const bus = app.app.get(EventBus);
    const recorder = app.app.get(Recorder);

    // Up, and delivering, before the outage.
    await until(
      async () => (await health()).consumer.lastReceiveAt !== undefined,
      10_000,
      'a first receive',
    );
    expect(await health()).toMatchObject({ code: 200, body: { status: 'ok' } });
    const before = ThingHappened.create({ name: 'before', size: 1 });
    await bus.publish(before);
    await app.probe.waitFor('thing.happened', (e) => e.id === before.id);

    // Outage: the receive in flight and the ones after it fail, and the check says so.
    await fauxqs.stop();
    await until(async () => (await health()).code === 503, 15_000, 'health DOWN during the outage');
    const down = await health();
    expect(down.body).toMatchObject({ status: 'error' });
    expect(down.consumer).toMatchObject({
      status: 'down',
      reason: expect.stringMatching(/^ReceiveMessage failed \d+ time\(s\) in a row$/) as unknown,
      consecutiveFailures: expect.any(Number) as unknown,
      lastError: { message: expect.any(String) as unknown },
    });

    // fauxqs is back on the same port, but empty: the queue does not exist yet, still DOWN.
    fauxqs = await startFauxqs(port);
    await until(
      async () =>
        /NonExistentQueue|QueueDoesNotExist/.test(
          (await health()).consumer.lastError?.message ?? '',
        ),
      15_000,
      'a receive that reaches the restarted fauxqs',
    );
    expect((await health()).code).toBe(503);

    // Recreated under the same names: the consumer receives again, and the check is UP.
    await createInfrastructure();
    await until(async () => (await health()).code === 200, 15_000, 'health UP after the outage');
    expect((await health()).consumer).toMatchObject({ status: 'up', consecutiveFailures: 0 });

    const after = ThingHappened.create({ name: 'after', size: 2 });
    await bus.publish(after);
    await app.probe.waitFor('thing.happened', (e) => e.id === after.id, { timeoutMs: 10_000 });
    expect(recorder.names).toEqual(['before', 'after']);
  });
});
