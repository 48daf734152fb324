import {
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  type PublishBatchCommandInput,
  type PublishBatchCommandOutput,
  type PublishCommandInput,
} from '@aws-sdk/client-sns';
import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler } from '@nestjs-events/core';
import { PublishError, SnsSqsTransport } from '@nestjs-events/sns';
import { awsTestConfig, SNS_SQS_EMULATORS, uniqueName, type Emulator } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened } from '../fixtures/events';
import { freePort } from '@sample/emulators';
import { until } from '../fixtures/until';

jest.setTimeout(30_000);

/**
 * An SNS client whose PublishBatch calls lose some entries on the way, the way SNS reports a
 * partial failure: those entries are not sent, and come back in `Failed`.
 */
function lossySnsClient(
  emulator: Emulator,
  drop: (call: number, entryIndex: number, message: string) => boolean,
) {
  const client = new SNSClient(awsTestConfig(emulator));
  const calls: string[][] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === PublishCommand.name) {
        const { Message } = args.input as PublishCommandInput;
        calls.push(['single']);
        if (drop(calls.length - 1, 0, Message ?? '')) {
          throw Object.assign(new Error('injected'), { name: 'InternalError', $fault: 'server' });
        }
        return next(args);
      }
      if (context.commandName !== PublishBatchCommand.name) return next(args);
      const input = args.input as PublishBatchCommandInput;
      const call = calls.length;
      const entries = input.PublishBatchRequestEntries ?? [];
      calls.push(entries.map((e) => e.Id!));
      const dropped = entries.filter((entry, index) => drop(call, index, entry.Message ?? ''));
      const kept = entries.filter((entry) => !dropped.includes(entry));
      const result = kept.length
        ? await next({ ...args, input: { ...input, PublishBatchRequestEntries: kept } })
        : { output: { Successful: [], Failed: [], $metadata: {} }, response: {} };
      const output = result.output as PublishBatchCommandOutput;
      output.Failed = [
        ...(output.Failed ?? []),
        ...dropped.map((e) => ({
          Id: e.Id!,
          Code: 'InternalError',
          SenderFault: false,
          Message: 'injected',
        })),
      ];
      return result;
    },
    { step: 'initialize' },
  );
  return { client, calls };
}

describe.each(SNS_SQS_EMULATORS)('SNS publisher on %s', (emulator) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  @Injectable()
  class Counter {
    readonly ids = new Set<string>();
    @EventHandler(ThingHappened)
    on(event: { id: string }) {
      this.ids.add(event.id);
    }
  }

  async function boot(snsClient: SNSClient) {
    const prefix = uniqueName('p');
    app = await createTestApp(
      { providers: [Counter] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            snsClient,
            topics: { prefix: `${prefix}-` },
            queues: [{ name: `${prefix}-q`, waitTimeSeconds: 1 }],
            provision: true,
            publishRetry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
          }),
        ],
      },
    );
    return app;
  }

  it('retries only the entries SNS reported as failed, and delivers every event once', async () => {
    const { client, calls } = lossySnsClient(
      emulator,
      (call, index) => call === 0 && index % 3 === 0,
    );
    const { app: nest } = await boot(client);
    const events = Array.from({ length: 10 }, (_, i) =>
      ThingHappened.create({ name: `e${i}`, size: i }),
    );
    await nest.get(EventBus).publishAll(events);
    expect(calls).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['0', '1', '2', '3'],
    ]);
    const counter = nest.get(Counter);
    await until(() => counter.ids.size === 10, 15_000, 'all ten events handled');
    expect([...counter.ids].sort()).toEqual(events.map((e) => e.id).sort());
    client.destroy();
  });

  it('raises a PublishError listing the ids that still failed after the last retry', async () => {
    const { client, calls } = lossySnsClient(emulator, (_call, _index, message) =>
      message.includes('"name":"e1"'),
    );
    const { app: nest } = await boot(client);
    const events = Array.from({ length: 4 }, (_, i) =>
      ThingHappened.create({ name: `e${i}`, size: i }),
    );
    const attempt = nest.get(EventBus).publishAll(events);
    await expect(attempt).rejects.toThrow(PublishError);
    await expect(attempt).rejects.toMatchObject({ failedEventIds: [events[1].id] });
    expect(calls).toEqual([['0', '1', '2', '3'], ['single'], ['single']]);
    client.destroy();
  });
});

it('surfaces a broker that is down to the caller, after retrying', async () => {
  const port = await freePort();
  const transport = new SnsSqsTransport({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    topics: { arn: 'arn:aws:sns:us-east-1:000000000000:nowhere' },
    publishRetry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  const event = ThingHappened.create({ name: 'a', size: 1 }, { source: 'test' });
  const attempt = transport.publish([event]);
  await expect(attempt).rejects.toThrow(PublishError);
  await expect(attempt).rejects.toThrow(
    new RegExp(`Could not publish 1 event\\(s\\) \\(${event.id}\\): .*ECONNREFUSED`),
  );
  expect(transport.health().status).toBe('down');
  await transport.stop({ deadlineMs: 100 });
});
