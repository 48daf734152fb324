import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventBus, EventHandler, Idempotent, type EventOf } from '@nestjs-events/core';
import { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import { Redis } from 'ioredis';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened, ThingNoted } from '../fixtures/events';

/** What both instances did, in one place: the "database" their handler writes to. */
const LEDGER = Symbol('ledger');
interface Ledger {
  readonly applied: { instance: string; eventId: string }[];
}

@Injectable()
class Points {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject('INSTANCE') private readonly instance: string,
  ) {}

  @Idempotent()
  @EventHandler(ThingHappened)
  credit(event: EventOf<typeof ThingHappened>) {
    this.ledger.applied.push({ instance: this.instance, eventId: event.id });
  }
}

@Injectable()
class SlowNotes {
  static started: () => void = () => undefined;
  static finish: () => void = () => undefined;
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject('INSTANCE') private readonly instance: string,
  ) {}

  @Idempotent()
  @EventHandler(ThingNoted)
  async note(event: EventOf<typeof ThingNoted>) {
    this.ledger.applied.push({ instance: this.instance, eventId: event.id });
    SlowNotes.started();
    await new Promise<void>((resolve) => (SlowNotes.finish = resolve));
  }
}

describe('IdempotencyInterceptor with one Redis store shared by two applications', () => {
  // Unique per run, so that runs never see each other's keys and cleanup finds exactly ours.
  const keyPrefix = `nestjs-events:idem:test:${randomUUID()}:`;
  // One client per instance, as two processes would have.
  const clients = [new Redis(process.env.REDIS_URL!), new Redis(process.env.REDIS_URL!)];
  let ledger: Ledger;
  let stores: RedisIdempotencyStore[] = [];
  let instances: TestApp[] = [];

  beforeEach(async () => {
    ledger = { applied: [] };
    stores = clients.map((client) => new RedisIdempotencyStore({ client, keyPrefix }));
    instances = await Promise.all(
      ['first', 'second'].map((instance, i) =>
        createTestApp(
          {
            providers: [
              Points,
              SlowNotes,
              { provide: LEDGER, useValue: ledger },
              { provide: 'INSTANCE', useValue: instance },
            ],
          },
          {
            source: instance,
            idempotency: { store: stores[i] },
          },
        ),
      ),
    );
  });
  afterEach(async () => {
    await Promise.all(instances.map(({ app }) => app.close()));
    instances = [];
  });
  afterAll(async () => {
    const keys = await clients[0].keys(`${keyPrefix}*`);
    if (keys.length) await clients[0].del(...keys);
    await Promise.all(clients.map((client) => client.quit()));
  });

  it('applies an event published in both instances once overall', async () => {
    const event = ThingHappened.create({ name: 'a', size: 1 });
    // Each instance has its own in-memory transport: each delivers the event to its own handler,
    // as two consumers of an at-least-once queue would. Only the shared store links them.
    await Promise.all(instances.map(({ app }) => app.get(EventBus).publish(event)));
    await Promise.all(instances.map(({ probe }) => probe.waitForIdle()));

    expect(ledger.applied.map((entry) => entry.eventId)).toEqual([event.id]);
    const handled = instances.flatMap(({ probe }) => probe.handled);
    const skipped = instances.flatMap(({ probe }) => probe.of('skipped'));
    expect(handled).toHaveLength(1);
    expect(skipped).toEqual([
      expect.objectContaining({ reason: 'duplicate', handler: 'Points.credit' }),
    ]);
  });

  it('makes the other instance wait while one runs the handler, then skip', async () => {
    const [first, second] = instances;
    const event = ThingNoted.create({ note: 'n' });
    const started = new Promise<void>((resolve) => (SlowNotes.started = resolve));
    const secondSawLock = new Promise<void>((resolve) => {
      const claim = stores[1].claim.bind(stores[1]);
      jest.spyOn(stores[1], 'claim').mockImplementation(async (...args) => {
        const result = await claim(...args);
        if (result.status === 'in-progress') resolve();
        return result;
      });
    });
    await first.app.get(EventBus).publish(event);
    await started;
    await second.app.get(EventBus).publish(event);
    // The first instance holds the lock, so the second one's delivery finds it and keeps polling.
    await secondSawLock;
    expect(second.probe.of('skipped')).toHaveLength(0);
    SlowNotes.finish();

    await first.probe.waitFor('thing.noted');
    const skipped = await second.probe.waitForSkipped('thing.noted');
    expect(skipped).toMatchObject({ reason: 'duplicate', handler: 'SlowNotes.note' });
    expect(ledger.applied).toEqual([{ instance: 'first', eventId: event.id }]);
    expect(second.probe.handled).toHaveLength(0);
  });

  it('skips in another instance an event that one instance handled earlier', async () => {
    const [first, second] = instances;
    const event = ThingHappened.create({ name: 'b', size: 2 });
    await first.app.get(EventBus).publish(event);
    await first.probe.waitFor('thing.happened');
    await second.app.get(EventBus).publish(event);
    await second.probe.waitForSkipped('thing.happened');
    expect(ledger.applied).toEqual([{ instance: 'first', eventId: event.id }]);
  });
});
