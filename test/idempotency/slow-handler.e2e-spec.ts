import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Inject, Injectable } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  Idempotent,
  MemoryIdempotencyStore,
  type EventOf,
  type IdempotencyStore,
} from '@nestjs-events/core';
import {
  createIdempotencyTable,
  DynamoDbIdempotencyStore,
} from '@nestjs-events/idempotency-dynamodb';
import { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import { Redis } from 'ioredis';
import { startRedis, type RunningServer } from '../../libs/emulators/src';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingNoted } from '../fixtures/events';
import { until } from '../fixtures/until';

jest.setTimeout(30_000);

// The lock of the two-application and one-application tests: long enough for a renewal to get
// through to a store the rest of the suite keeps busy (moto is one process for every suite
// running at the time; a first delivery under a 300 ms lock there once failed and was retried).
const LOCK_TTL_MS = 1_000;
// The Redis outage tests' own Redis answers at once: a short lock keeps them short.
const OUTAGE_LOCK_TTL_MS = 300;
// Three times the lock: without renewal the lock is gone long before the handler is done.
const SLOWNESS = 3;
const HANDLER_MS = Symbol('handler ms');

const LEDGER = Symbol('ledger');
interface Ledger {
  readonly applied: { instance: string; eventId: string }[];
}

@Injectable()
class SlowNotes {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject('INSTANCE') private readonly instance: string,
    @Inject(HANDLER_MS) private readonly handlerMs: number,
  ) {}

  @Idempotent()
  @EventHandler(ThingNoted)
  async note(event: EventOf<typeof ThingNoted>) {
    // The work of a slow handler, not a wait for anything.
    await delay(this.handlerMs);
    this.ledger.applied.push({ instance: this.instance, eventId: event.id });
  }
}

function boot(instance: string, store: IdempotencyStore, ledger: Ledger): Promise<TestApp> {
  return createTestApp(
    {
      providers: [
        SlowNotes,
        { provide: LEDGER, useValue: ledger },
        { provide: 'INSTANCE', useValue: instance },
        { provide: HANDLER_MS, useValue: SLOWNESS * LOCK_TTL_MS },
      ],
    },
    { source: instance, idempotency: { store, lockTtlMs: LOCK_TTL_MS } },
  );
}

/** Counts renewals, so the test can deliver the duplicate once the first lock period is over. */
function countingRenewals(store: IdempotencyStore): {
  store: IdempotencyStore;
  renewals: () => number;
} {
  let renewals = 0;
  const extend = store.extend.bind(store);
  store.extend = async (...args) => {
    const extended = await extend(...args);
    if (extended) renewals++;
    return extended;
  };
  return { store, renewals: () => renewals };
}

interface Backend {
  readonly name: string;
  /** A store per consumer (one client each, as two processes would have), on one backend. */
  stores(count: number): IdempotencyStore[];
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

const redisClients: Redis[] = [];
const redisPrefix = `nestjs-events:idem:test:${randomUUID()}:`;
const dynamo = new DynamoDBClient({ endpoint: process.env.MOTO_ENDPOINT });
const tableName = `idempotency-slow-${randomUUID()}`;

const backends: Backend[] = [
  {
    name: 'Redis, two applications',
    stores: (count) =>
      Array.from({ length: count }, () => {
        const client = new Redis(process.env.REDIS_URL!);
        redisClients.push(client);
        return new RedisIdempotencyStore({ client, keyPrefix: redisPrefix });
      }),
    async teardown() {
      const keys = await redisClients[0].keys(`${redisPrefix}*`);
      if (keys.length) await redisClients[0].del(...keys);
      await Promise.all(redisClients.map((client) => client.quit()));
    },
  },
  {
    name: 'DynamoDB, two applications',
    stores: (count) =>
      Array.from(
        { length: count },
        () => new DynamoDbIdempotencyStore({ client: dynamo, tableName }),
      ),
    setup: () => createIdempotencyTable(dynamo, tableName),
    async teardown() {
      await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
      dynamo.destroy();
    },
  },
];

describe.each(backends)('a handler three times as slow as its lock: $name', (backend) => {
  let ledger: Ledger;
  let instances: TestApp[] = [];
  let renewals: () => number;

  beforeAll(() => backend.setup?.());
  afterAll(() => backend.teardown?.());
  beforeEach(async () => {
    ledger = { applied: [] };
    const [first, second] = backend.stores(2);
    const counted = countingRenewals(first);
    renewals = counted.renewals;
    instances = [await boot('first', counted.store, ledger), await boot('second', second, ledger)];
  });
  afterEach(async () => {
    await Promise.all(instances.map(({ app }) => app.close()));
  });

  it('applies the event once when its duplicate arrives after the first lock period', async () => {
    const [first, second] = instances;
    const event = ThingNoted.create({ note: 'slow' });
    await first.app.get(EventBus).publish(event);
    // Two renewals: the first claim has outlived the lock it was given.
    await until(() => renewals() >= 2, 5_000, 'the first delivery to renew its lock twice');
    await second.app.get(EventBus).publish(event);

    await first.probe.waitFor('thing.noted', undefined, { timeoutMs: 15_000 });
    await second.probe.waitForSkipped('thing.noted', undefined, { timeoutMs: 15_000 });
    await Promise.all(instances.map(({ probe }) => probe.waitForIdle()));
    expect(ledger.applied).toEqual([{ instance: 'first', eventId: event.id }]);
    expect(instances.flatMap(({ probe }) => probe.deadLettered)).toEqual([]);
  });
});

describe('a handler three times as slow as its lock: memory, one application, two deliveries', () => {
  it('applies the event once', async () => {
    const ledger: Ledger = { applied: [] };
    const { store, renewals } = countingRenewals(new MemoryIdempotencyStore());
    const { app, probe } = await boot('only', store, ledger);
    try {
      const event = ThingNoted.create({ note: 'slow' });
      await app.get(EventBus).publish(event);
      await until(() => renewals() >= 2, 5_000, 'the first delivery to renew its lock twice');
      await app.get(EventBus).publish(event);
      await probe.waitFor('thing.noted', undefined, { timeoutMs: 15_000 });
      await probe.waitForSkipped('thing.noted', undefined, { timeoutMs: 15_000 });
      await probe.waitForIdle();
      expect(ledger.applied).toEqual([{ instance: 'only', eventId: event.id }]);
      expect(probe.deadLettered).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('app.close() while the Redis store is down', () => {
  const SHUTDOWN_TIMEOUT_MS = 2_000;
  let redis: RunningServer;
  let rejections: unknown[];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeEach(async () => {
    // A server of this test's own, so that stopping it disturbs nothing else.
    redis = await startRedis();
    rejections = [];
    process.on('unhandledRejection', onRejection);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onRejection);
    await redis.stop();
  });

  async function bootOnPrivateRedis() {
    const ledger: Ledger = { applied: [] };
    // From a URL: the store owns the client, and closes it when the application closes.
    const store = new RedisIdempotencyStore({ url: redis.endpoint, closeTimeoutMs: 500 });
    const testApp = await createTestApp(
      {
        providers: [
          SlowNotes,
          { provide: LEDGER, useValue: ledger },
          { provide: 'INSTANCE', useValue: 'outage' },
          { provide: HANDLER_MS, useValue: SLOWNESS * OUTAGE_LOCK_TTL_MS },
        ],
      },
      {
        source: 'outage',
        idempotency: { store, lockTtlMs: OUTAGE_LOCK_TTL_MS, operationTimeoutMs: 500 },
        shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
      },
    );
    return { ...testApp, ledger, store };
  }

  /** app.close(), failing the test if it takes longer than `boundMs`. */
  async function closeWithin(app: TestApp['app'], boundMs: number): Promise<number> {
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const tooLate = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`app.close() took over ${boundMs} ms`)), boundMs);
    });
    try {
      await Promise.race([app.close(), tooLate]);
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - startedAt;
  }

  it('finishes within its deadline when nothing is in flight', async () => {
    const { app, probe } = await bootOnPrivateRedis();
    const event = ThingNoted.create({ note: 'before the outage' });
    await app.get(EventBus).publish(event);
    await probe.waitFor('thing.noted');
    await redis.stop();
    await closeWithin(app, SHUTDOWN_TIMEOUT_MS + 1_500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections).toEqual([]);
  });

  it('finishes within its deadline with a handler in flight, and applies nothing unguarded', async () => {
    const { app, ledger, store } = await bootOnPrivateRedis();
    let acquired = 0;
    const claim = store.claim.bind(store);
    jest.spyOn(store, 'claim').mockImplementation(async (...args) => {
      const result = await claim(...args);
      if (result.status === 'acquired') acquired++;
      return result;
    });
    const inFlight = ThingNoted.create({ note: 'in flight' });
    await app.get(EventBus).publish(inFlight);
    await until(() => acquired === 1, 5_000, 'the handler to start');
    await redis.stop();
    // Arrives during the outage: its claim times out, so its handler never runs unguarded.
    const during = ThingNoted.create({ note: 'during the outage' });
    await app.get(EventBus).publish(during);
    await closeWithin(app, SHUTDOWN_TIMEOUT_MS + 1_500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections).toEqual([]);
    expect(ledger.applied.map((entry) => entry.eventId)).not.toContain(during.id);
  });
});
