import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler, type EventOf } from '@nestjs-events/core';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { ThingHappened, ThingHappenedV1 } from '../fixtures/events';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { awsTestConfig, SNS_SQS_EMULATORS, uniqueName } from '../fixtures/aws';

describe.each(SNS_SQS_EMULATORS)('SNS/SQS round trip on %s', (emulator) => {
  @Injectable()
  class Recorder {
    readonly seen: EventOf<typeof ThingHappened>[] = [];
    @EventHandler(ThingHappened)
    onThing(event: EventOf<typeof ThingHappened>) {
      this.seen.push(event);
    }
  }

  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it('publishes through SNS and consumes from SQS, upcasting and keeping the metadata', async () => {
    const prefix = uniqueName('rt');
    app = await createTestApp(
      { providers: [Recorder] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            topics: { prefix: `${prefix}-` },
            queues: [{ name: `${prefix}-things`, waitTimeSeconds: 1 }],
            provision: true,
          }),
        ],
      },
    );
    const bus = app.app.get(EventBus);
    const v2 = ThingHappened.create({ name: 'new', size: 3 }, { aggregateId: 'a-1' });
    const v1 = ThingHappenedV1.create({ name: 'old' });
    await bus.publishAll([v2, v1]);
    await app.probe.waitFor('thing.happened', (e) => e.id === v2.id);
    await app.probe.waitFor('thing.happened', (e) => e.id === v1.id);
    const seen = app.app.get(Recorder).seen;
    expect(seen.find((e) => e.id === v2.id)).toMatchObject({
      source: 'test',
      aggregateId: 'a-1',
      version: 2,
      data: { name: 'new', size: 3 },
      metadata: { correlationId: v2.id },
    });
    expect(seen.find((e) => e.id === v1.id)).toMatchObject({
      version: 2,
      data: { name: 'old', size: 0 },
    });
  });
});
