import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler } from '@nestjs-events/core';
import {
  EventBridgeTransport,
  OversizeEventError,
  PublishError,
  ReservedEventSourceError,
} from '@nestjs-events/eventbridge';
import { awsTestConfig, EVENTBRIDGE_EMULATORS, uniqueName } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened } from '../fixtures/events';
import { until } from '../fixtures/until';
import { lossyEventBridgeClient } from './lossy-eventbridge.client';

jest.setTimeout(30_000);

describe.each(EVENTBRIDGE_EMULATORS)('EventBridge publisher on %s', (emulator) => {
  let app: TestApp | undefined;
  let client: EventBridgeClient | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    client?.destroy();
    client = undefined;
  });

  @Injectable()
  class Counter {
    readonly ids = new Set<string>();
    @EventHandler(ThingHappened)
    on(event: { id: string }) {
      this.ids.add(event.id);
    }
  }

  /** An app whose transport publishes with `eventBridgeClient`; with a consumer unless `publishOnly`. */
  async function boot(
    eventBridgeClient: EventBridgeClient,
    { publishOnly = false, source = 'test' } = {},
  ): Promise<{ app: TestApp; transport: EventBridgeTransport }> {
    client = eventBridgeClient;
    const prefix = uniqueName('ebp');
    const transport = new EventBridgeTransport({
      ...awsTestConfig(emulator),
      eventBridgeClient,
      eventBusName: `${prefix}-bus`,
      queues: publishOnly ? [] : [{ name: `${prefix}-q`, waitTimeSeconds: 1 }],
      provision: true,
      publishRetry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    app = await createTestApp(
      { providers: publishOnly ? [] : [Counter] },
      { transports: [transport], source },
    );
    return { app, transport };
  }

  const things = (count: number, name = (i: number) => `e${i}`) =>
    Array.from({ length: count }, (_, i) => ThingHappened.create({ name: name(i), size: i }));

  it('sends at most 10 entries per PutEvents call, and delivers every event', async () => {
    const lossy = lossyEventBridgeClient(emulator);
    const { app: test } = await boot(lossy.client);
    const events = things(23);
    await test.app.get(EventBus).publishAll(events);
    expect(lossy.calls.map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(lossy.calls).toHaveLength(3);
    const counter = test.app.get(Counter);
    await until(() => counter.ids.size === 23, 15_000, 'all 23 events handled');
    expect([...counter.ids].sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('joins publishes issued together: 25 concurrent EventBus.publish calls make 3 PutEvents', async () => {
    const lossy = lossyEventBridgeClient(emulator);
    const { app: test } = await boot(lossy.client);
    const events = things(25);
    const bus = test.app.get(EventBus);
    await Promise.all(events.map((event) => bus.publish(event)));
    expect(lossy.calls.map((entries) => entries.length)).toEqual([10, 10, 5]);
    const counter = test.app.get(Counter);
    await until(() => counter.ids.size === 25, 15_000, 'all 25 events handled');
  });

  it('splits calls at the 256 KiB request limit, and refuses an oversize event before sending', async () => {
    const lossy = lossyEventBridgeClient(emulator);
    const { app: test } = await boot(lossy.client, { publishOnly: true });
    const bus = test.app.get(EventBus);
    // Each entry is a little over 100 KiB: two fit in a request, three do not.
    await bus.publishAll(things(5, (i) => `${i}`.padEnd(100 * 1024, 'x')));
    expect(lossy.calls.map((entries) => entries.length)).toEqual([2, 2, 1]);
    expect(lossy.calls).toHaveLength(3);

    const oversize = bus.publishAll([
      ThingHappened.create({ name: 'small', size: 1 }),
      ThingHappened.create({ name: 'x'.repeat(256 * 1024), size: 2 }),
    ]);
    await expect(oversize).rejects.toThrow(OversizeEventError);
    await expect(oversize).rejects.toThrow(/over the 262144-byte limit/);
    expect(lossy.calls).toHaveLength(3);
  });

  it('retries only the entries reported as failed, and delivers every event once', async () => {
    const lossy = lossyEventBridgeClient(emulator, (call, index) =>
      call === 0 && index % 3 === 0 ? 'InternalException' : undefined,
    );
    const { app: test } = await boot(lossy.client);
    const events = things(10);
    await test.app.get(EventBus).publishAll(events);
    expect(lossy.calls.map((entries) => entries.length)).toEqual([10, 4]);
    const counter = test.app.get(Counter);
    await until(() => counter.ids.size === 10, 15_000, 'all ten events handled');
    expect([...counter.ids].sort()).toEqual(events.map((e) => e.id).sort());
    expect(test.probe.handled).toHaveLength(10);
  });

  it('raises a PublishError listing the ids that still failed after the last retry', async () => {
    const lossy = lossyEventBridgeClient(emulator, (_call, _index, detail) =>
      detail.includes('"name":"e1"') ? 'ThrottlingException' : undefined,
    );
    const { app: test, transport } = await boot(lossy.client);
    const events = things(4);
    const attempt = test.app.get(EventBus).publishAll(events);
    await expect(attempt).rejects.toThrow(PublishError);
    await expect(attempt).rejects.toMatchObject({
      failedEventIds: [events[1].id],
      message: expect.stringContaining('ThrottlingException: injected'),
    });
    expect(lossy.calls.map((entries) => entries.length)).toEqual([4, 1, 1]);
    expect(transport.health().status).toBe('down');
    const counter = test.app.get(Counter);
    await until(() => counter.ids.size === 3, 15_000, 'the three other events handled');
  });

  it('fails an entry with a non-retryable error code at once', async () => {
    const lossy = lossyEventBridgeClient(emulator, (_call, index) =>
      index === 0 ? 'MalformedDetail' : undefined,
    );
    const { app: test } = await boot(lossy.client);
    const events = things(3);
    await expect(test.app.get(EventBus).publishAll(events)).rejects.toMatchObject({
      name: 'PublishError',
      failedEventIds: [events[0].id],
    });
    expect(lossy.calls.map((entries) => entries.length)).toEqual([3]);
  });

  it('refuses a source starting with "aws." before sending anything', async () => {
    const lossy = lossyEventBridgeClient(emulator);
    const { app: test } = await boot(lossy.client, { publishOnly: true, source: 'aws.things' });
    const attempt = test.app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await expect(attempt).rejects.toThrow(ReservedEventSourceError);
    await expect(attempt).rejects.toThrow(
      /source "aws\.things".*reserves sources starting with "aws\."/,
    );
    expect(lossy.calls).toEqual([]);
  });
});
