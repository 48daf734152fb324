import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  InMemoryTransport,
  PublishError,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import {
  OutboxRelay,
  OutboxStoreMismatchError,
  OutboxTransactionRequiredError,
  withOutbox,
  Inbox,
  type OutboxTransportOptions,
} from '@nestjs-events/outbox';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { TypeOrmOutboxStore } from '@nestjs-events/outbox/typeorm';
import { Pool } from 'pg';
import { DataSource, EntitySchema } from 'typeorm';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingNoted } from '../fixtures/events';
import { until } from '../fixtures/until';

const url = () => {
  const value = process.env.POSTGRES_URL;
  if (!value) throw new Error('POSTGRES_URL is not set: run with the e2e global setup');
  return value;
};

/** Tables of their own for each test, so that tests never see each other's rows. */
function tables() {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  return { outboxTable: `outbox_${suffix}`, inboxTable: `inbox_${suffix}` };
}

describe('PostgreSQL outbox (node-postgres)', () => {
  let pool: Pool;
  let running: TestApp | undefined;

  beforeAll(() => {
    pool = new Pool({ connectionString: url(), max: 20 });
  });
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });
  afterAll(() => pool.end());

  async function storeWithSchema(): Promise<PostgresOutboxStore> {
    const store = new PostgresOutboxStore({ pool, ...tables() });
    await store.ensureSchema();
    await pool.query('CREATE TABLE IF NOT EXISTS notes (id uuid PRIMARY KEY, note text NOT NULL)');
    return store;
  }

  @Injectable()
  class Notes {
    readonly seen: EventEnvelope[] = [];

    @EventHandler(ThingNoted)
    noted(event: EventOf<typeof ThingNoted>) {
      this.seen.push(event);
    }
  }

  async function boot(store: PostgresOutboxStore, options: Partial<OutboxTransportOptions> = {}) {
    const transport = withOutbox(new InMemoryTransport(), {
      store,
      relay: { pollIntervalMs: 50, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
      ...options,
    });
    running = await createTestApp({ providers: [Notes] }, { transports: [transport] });
    return {
      bus: running.app.get(EventBus),
      notes: running.app.get(Notes),
      transport,
    };
  }

  const sentRows = async (store: PostgresOutboxStore) =>
    (
      await pool.query<{ event_id: string }>(
        `SELECT event_id FROM ${(store as unknown as { outbox: { sql: string } }).outbox.sql} WHERE sent_at IS NOT NULL`,
      )
    ).rows.map((row) => row.event_id);

  it('writes a publish inside a transaction to the outbox, and relays it after the commit', async () => {
    const store = await storeWithSchema();
    const { bus, notes } = await boot(store);
    const event = ThingNoted.create({ note: 'committed' });
    const id = randomUUID();
    await store.transaction(async (client) => {
      await client.query('INSERT INTO notes (id, note) VALUES ($1, $2)', [id, 'committed']);
      await bus.publish(event);
      // Not sent before the commit: the row is only in this transaction.
      expect(notes.seen).toHaveLength(0);
    });
    await until(() => notes.seen.length === 1, 5000, 'the relayed event');
    expect(notes.seen[0].id).toBe(event.id);
    // Reported on the application's EventsMonitor, with how long after it occurred.
    const [relayed] = running!.probe.of('outbox-relayed');
    expect(relayed).toMatchObject({ transport: 'memory', event: { id: event.id } });
    expect(relayed.lagMs).toBeGreaterThanOrEqual(0);
    await until(
      async () => (await sentRows(store)).includes(event.id),
      5000,
      'the row marked sent',
    );
  });

  it('sends nothing for a transaction that rolled back', async () => {
    const store = await storeWithSchema();
    const { bus, notes } = await boot(store);
    const rolledBack = ThingNoted.create({ note: 'rolled back' });
    await expect(
      store.transaction(async () => {
        await bus.publish(rolledBack);
        throw new Error('the order could not be saved');
      }),
    ).rejects.toThrow('the order could not be saved');
    // A later commit is relayed; rows go in order, so the rolled back one would have come first.
    const later = ThingNoted.create({ note: 'later' });
    await store.transaction(() => bus.publish(later));
    await until(() => notes.seen.length === 1, 5000, 'the later event');
    expect(notes.seen.map((event) => event.id)).toEqual([later.id]);
    await until(
      async () => (await store.counts('memory')).pending === 0,
      5000,
      'the later row marked sent',
    );
    expect(await store.counts('memory')).toEqual({ pending: 0, parked: 0 });
  });

  it('publishes directly outside a transaction by default, and can reject or write to the outbox instead', async () => {
    const direct = await boot(await storeWithSchema());
    await direct.bus.publish(ThingNoted.create({ note: 'direct' }));
    expect(direct.notes.seen).toHaveLength(1);
    await running?.app.close();

    const strict = await boot(await storeWithSchema(), { outsideTransaction: 'reject' });
    await expect(strict.bus.publish(ThingNoted.create({ note: 'no' }))).rejects.toBeInstanceOf(
      OutboxTransactionRequiredError,
    );
    await running?.app.close();

    const store = await storeWithSchema();
    const durable = await boot(store, { outsideTransaction: 'outbox' });
    const event = ThingNoted.create({ note: 'durable' });
    await durable.bus.publish(event);
    await until(() => durable.notes.seen.length === 1, 5000, 'the relayed event');
    // The relay marks the row sent after the send returns, so the handler can run first.
    await until(async () => (await sentRows(store)).length > 0, 5000, 'the row marked sent');
    expect(await sentRows(store)).toEqual([event.id]);
  });

  it('refuses a publish inside a transaction of another store', async () => {
    const { bus } = await boot(await storeWithSchema());
    const other = await storeWithSchema();
    await expect(
      other.transaction(() => bus.publish(ThingNoted.create({ note: 'x' }))),
    ).rejects.toBeInstanceOf(OutboxStoreMismatchError);
    expect(await other.counts('memory')).toEqual({ pending: 0, parked: 0 });
  });

  it('two relays on one table send every row once, in order per aggregate', async () => {
    const store = await storeWithSchema();
    const keys = 40;
    const events = Array.from({ length: 300 }, (_, n) =>
      ThingNoted.create({ note: `n${n}` }, { aggregateId: `agg-${n % keys}` }),
    );
    for (let n = 0; n < events.length; n += 30) {
      await store.appendCommitted(
        'dest',
        events.slice(n, n + 30).map((envelope) => ({ envelope, orderKey: envelope.aggregateId })),
      );
    }
    const received: EventEnvelope[] = [];
    // Each relay's first send waits until the other relay is sending too, so that both hold rows
    // at once: what the claims must keep apart. With 40 keys and batches of 16 neither can hold
    // every key; should one never send, the wait below fails the test at its bound.
    const sending = [false, false];
    let bothSending!: () => void;
    const overlap = new Promise<void>((resolve) => (bothSending = resolve));
    const publishFor = (relay: number) => async (batch: readonly EventEnvelope[]) => {
      sending[relay] = true;
      if (sending[0] && sending[1]) bothSending();
      await overlap;
      received.push(...batch);
    };
    const relays = [0, 1].map(
      (relay) =>
        new OutboxRelay(store, 'dest', publishFor(relay), { batchSize: 16, pollIntervalMs: 20 }),
    );
    await Promise.all(relays.map((relay) => relay.start()));
    try {
      await until(() => received.length >= events.length, 20_000, 'every row sent');
    } finally {
      await Promise.all(relays.map((relay) => relay.stop({ deadlineMs: 5000 })));
    }
    const ids = received.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(events.length);
    for (let key = 0; key < keys; key++) {
      const written = events.filter((event) => event.aggregateId === `agg-${key}`).map((e) => e.id);
      expect(
        received.filter((event) => event.aggregateId === `agg-${key}`).map((e) => e.id),
      ).toEqual(written);
    }
    expect(relays[0].metrics().sent + relays[1].metrics().sent).toBe(events.length);
    expect(relays[0].metrics().sent).toBeGreaterThan(0);
    expect(relays[1].metrics().sent).toBeGreaterThan(0);
  }, 30_000);

  it('backs off on broker errors, keeps order, and parks a row that keeps failing, with its redacted error', async () => {
    const store = await storeWithSchema();
    const poison = ThingNoted.create({ note: 'poison' }, { aggregateId: 'a' });
    const after = ThingNoted.create({ note: 'after' }, { aggregateId: 'a' });
    const other = ThingNoted.create({ note: 'other' }, { aggregateId: 'b' });
    await store.appendCommitted(
      'dest',
      [poison, after, other].map((envelope) => ({ envelope, orderKey: envelope.aggregateId })),
    );
    const received: string[] = [];
    const calls: number[] = [];
    const publish = (batch: readonly EventEnvelope[]) => {
      calls.push(Date.now());
      // As a transport does: the others in the batch go through, the failed one is named.
      received.push(...batch.filter((event) => event.id !== poison.id).map((event) => event.id));
      if (batch.some((event) => event.id === poison.id)) {
        return Promise.reject(
          new PublishError([poison.id], 'broker said no at postgres://app:hunter2@db.internal/app'),
        );
      }
      return Promise.resolve();
    };
    const relay = new OutboxRelay(store, 'dest', publish, {
      maxAttempts: 3,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 200,
      pollIntervalMs: 20,
    });
    const reported: Array<{ kind: string; event: EventEnvelope; error?: unknown }> = [];
    await relay.start({ observed: true, notify: (n) => reported.push(n as (typeof reported)[0]) });
    try {
      await until(async () => (await store.counts('dest')).parked === 1, 10_000, 'the parked row');
      await until(() => received.includes(after.id), 5000, 'the row after the parked one');
    } finally {
      await relay.stop({ deadlineMs: 2000 });
    }
    // b was never held up by a; a's second event waited until its first was parked.
    expect(received).toEqual([other.id, after.id]);
    const [parked] = await store.parked('dest');
    expect(parked).toMatchObject({ eventId: poison.id, attempts: 3 });
    expect(parked.error).toContain('broker said no');
    expect(parked.error).not.toContain('hunter2');
    expect(relay.metrics()).toMatchObject({ parked: 1, failed: 3 });
    const about = (kind: string) => reported.filter((n) => n.kind === kind).map((n) => n.event.id);
    expect(about('outbox-retrying')).toEqual([poison.id, poison.id]);
    expect(about('outbox-parked')).toEqual([poison.id]);
    expect(about('outbox-relayed').sort()).toEqual([other.id, after.id].sort());
    expect(
      String((reported.find((n) => n.kind === 'outbox-parked')!.error as Error).message),
    ).not.toContain('hunter2');

    expect(await store.requeueParked('dest')).toBe(1);
    expect(await store.counts('dest')).toEqual({ pending: 1, parked: 0 });
  }, 15_000);

  it('deletes sent rows after the retention period', async () => {
    const store = await storeWithSchema();
    await store.appendCommitted('dest', [{ envelope: ThingNoted.create({ note: 'old' }) }]);
    const relay = new OutboxRelay(store, 'dest', () => Promise.resolve(), {
      pollIntervalMs: 20,
      retentionMs: 1,
      cleanupIntervalMs: 1,
    });
    await relay.start();
    try {
      await until(() => relay.metrics().purged === 1, 5000, 'the sent row deleted');
    } finally {
      await relay.stop({ deadlineMs: 2000 });
    }
    expect(await sentRows(store)).toEqual([]);
  });

  it('wakes on NOTIFY: a commit is relayed well before the next poll', async () => {
    const store = await storeWithSchema();
    const received: number[] = [];
    const relay = new OutboxRelay(
      store,
      'dest',
      () => {
        received.push(Date.now());
        return Promise.resolve();
      },
      { pollIntervalMs: 60_000 },
    );
    await relay.start();
    try {
      // The start's first pass found nothing; it now sleeps for a minute unless woken.
      const committedAt = Date.now();
      await store.transaction((client) =>
        store.append(client, 'dest', [{ envelope: ThingNoted.create({ note: 'wake' }) }]),
      );
      await until(() => received.length === 1, 5000, 'the relayed row');
      expect(received[0] - committedAt).toBeLessThan(5000);
    } finally {
      await relay.stop({ deadlineMs: 2000 });
    }
  });

  describe('inbox', () => {
    it('applies a handler’s writes once per event, even when delivered twice at once', async () => {
      const store = await storeWithSchema();
      const eventId = randomUUID();
      let runs = 0;
      const apply = () =>
        store.runOnce('Points.credit', eventId, async () => {
          runs++;
          await store
            .current()
            .query('INSERT INTO notes (id, note) VALUES ($1, $2)', [eventId, 'credited']);
          return 'done';
        });
      const results = await Promise.all([apply(), apply(), apply()]);
      expect(results.filter((result) => result.ran)).toEqual([{ ran: true, result: 'done' }]);
      expect(runs).toBe(1);
      const { rows } = await pool.query('SELECT note FROM notes WHERE id = $1', [eventId]);
      expect(rows).toEqual([{ note: 'credited' }]);
    });

    it('rolls back the record with the writes when the handler fails, so the retry runs', async () => {
      const store = await storeWithSchema();
      const eventId = randomUUID();
      await expect(
        store.runOnce('Points.credit', eventId, async () => {
          await store
            .current()
            .query('INSERT INTO notes (id, note) VALUES ($1, $2)', [eventId, 'x']);
          throw new Error('crashed mid-way');
        }),
      ).rejects.toThrow('crashed mid-way');
      expect((await pool.query('SELECT 1 FROM notes WHERE id = $1', [eventId])).rowCount).toBe(0);
      const retry = await store.runOnce('Points.credit', eventId, () => Promise.resolve(1));
      expect(retry).toEqual({ ran: true, result: 1 });
    });

    it('@Inbox() runs the handler in the transaction and skips a redelivery', async () => {
      const store = await storeWithSchema();

      @Injectable()
      class Ledger {
        runs = 0;

        @Inbox({ store })
        @EventHandler(ThingNoted)
        async noted(event: EventOf<typeof ThingNoted>) {
          this.runs++;
          await store
            .current()
            .query('INSERT INTO notes (id, note) VALUES ($1, $2)', [event.id, event.data.note]);
        }
      }
      running = await createTestApp({ providers: [Ledger] });
      const bus = running.app.get(EventBus);
      const event = ThingNoted.create({ note: 'once' });
      const probe = running.probe;
      const handled = probe.waitFor(ThingNoted.type);
      await bus.publish(event);
      await handled;
      const skipped = probe.waitForSkipped(ThingNoted.type);
      await bus.publish(event);
      expect(await skipped).toMatchObject({ reason: 'duplicate' });
      expect(running.app.get(Ledger).runs).toBe(1);
      const { rows } = await pool.query('SELECT note FROM notes WHERE id = $1', [event.id]);
      expect(rows).toEqual([{ note: 'once' }]);
    });
  });
});

describe('PostgreSQL outbox (TypeORM)', () => {
  const Order = new EntitySchema<{ id: string; total: number }>({
    name: 'outbox_test_order',
    columns: { id: { type: 'uuid', primary: true }, total: { type: 'int' } },
  });
  let dataSource: DataSource;
  let running: TestApp | undefined;

  beforeAll(async () => {
    dataSource = new DataSource({
      type: 'postgres',
      url: url(),
      entities: [Order],
      synchronize: true,
    });
    await dataSource.initialize();
  });
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });
  afterAll(() => dataSource.destroy());

  @Injectable()
  class Notes {
    readonly seen: EventEnvelope[] = [];

    @EventHandler(ThingNoted)
    noted(event: EventOf<typeof ThingNoted>) {
      this.seen.push(event);
    }
  }

  it('commits the entity and the event together, and relays it', async () => {
    const store = new TypeOrmOutboxStore({ dataSource, ...tables() });
    await store.ensureSchema();
    const transport = withOutbox(new InMemoryTransport(), { store, relay: { pollIntervalMs: 50 } });
    running = await createTestApp({ providers: [Notes] }, { transports: [transport] });
    const bus = running.app.get(EventBus);
    const id = randomUUID();
    const event = ThingNoted.create({ note: 'order saved' }, { aggregateId: id });
    await store.transaction(async (manager) => {
      await manager.save(Order, { id, total: 42 });
      await bus.publish(event);
    });
    await until(() => running!.app.get(Notes).seen.length === 1, 5000, 'the relayed event');
    expect(await dataSource.getRepository(Order).findOneBy({ id })).toEqual({ id, total: 42 });
    await until(
      async () => (await store.counts('memory')).pending === 0,
      5000,
      'the relayed row marked sent',
    );

    // A rollback through a QueryRunner the caller drives: neither the entity nor the event.
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const lost = randomUUID();
    await store.withTransaction(runner.manager, async () => {
      await runner.manager.save(Order, { id: lost, total: 1 });
      await bus.publish(ThingNoted.create({ note: 'lost' }, { aggregateId: lost }));
    });
    await runner.rollbackTransaction();
    await runner.release();
    expect(await dataSource.getRepository(Order).findOneBy({ id: lost })).toBeNull();
    expect(await store.counts('memory')).toEqual({ pending: 0, parked: 0 });
  });

  it('runs an inbox handler through the EntityManager once', async () => {
    const store = new TypeOrmOutboxStore({ dataSource, ...tables() });
    await store.ensureSchema();
    const eventId = randomUUID();
    const first = await store.runOnce('Orders.save', eventId, async () => {
      await store.current().save(Order, { id: eventId, total: 7 });
      return true;
    });
    const second = await store.runOnce('Orders.save', eventId, () => Promise.resolve(true));
    expect([first.ran, second.ran]).toEqual([true, false]);
  });
});
