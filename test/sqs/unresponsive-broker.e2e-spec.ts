import { createServer, type Server, type Socket } from 'node:net';
import { Injectable } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  EventsConfigurationError,
  PublishError,
  type Transport,
} from '@nestjs-events/core';
import { SqsTransport } from '@nestjs-events/sqs';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened } from '../fixtures/events';

jest.setTimeout(30_000);

/** A broker that accepts connections and never answers a byte. */
async function blackHole(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

@Injectable()
class Sink {
  @EventHandler(ThingHappened)
  on() {}
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('a broker that accepts connections but never answers', () => {
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let app: TestApp | undefined;

  beforeEach(async () => {
    hole = await blackHole();
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    await hole.close();
  });

  it('fails the bootstrap within its bound, naming the queue, the endpoint and the region', async () => {
    const transport = new SqsTransport({
      region: 'eu-west-3',
      endpoint: hole.endpoint,
      credentials,
      timeouts: { connectionMs: 500, requestMs: 500 },
      queues: [{ name: 'orders' }],
    });
    const boot = createTestApp({ providers: [Sink] }, { transports: [transport] });
    await expect(boot).rejects.toThrow(EventsConfigurationError);
    await expect(boot).rejects.toThrow(
      new RegExp(
        `could not look up SQS queue "orders" at endpoint ${hole.endpoint}, region eu-west-3: ` +
          '.*Check that the endpoint is reachable',
      ),
    );
  });

  it('fails a transport whose start never settles after startTimeoutMs, naming it', async () => {
    const hanging: Transport = {
      name: 'hanging',
      publish: () => Promise.resolve(),
      subscribe: () => undefined,
      start: () => new Promise(() => undefined),
      stop: () => Promise.resolve(),
      health: () => ({ status: 'up' }),
    };
    await expect(
      createTestApp({ providers: [] }, { transports: [hanging], startTimeoutMs: 200 }),
    ).rejects.toThrow(/Transport "hanging" did not start within 200 ms/);
  });

  it('fails publishes within a bound, and health says down', async () => {
    const transport = new SqsTransport({
      region: 'us-east-1',
      // The queue URL is known without asking: only the send itself meets the silent broker.
      endpoint: hole.endpoint,
      credentials,
      timeouts: { connectionMs: 500, requestMs: 500 },
      publishTo: 'orders',
      publishRetry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    app = await createTestApp({ providers: [] }, { transports: [transport] });
    const publishing = app.app.get(EventBus).publish(ThingHappened.create({ name: 'x', size: 1 }));
    await expect(publishing).rejects.toThrow(PublishError);
    expect(transport.health().status).toBe('down');
  });
});
