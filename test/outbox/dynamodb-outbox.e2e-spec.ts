import { DynamoDBClient, GetItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { Injectable } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  InMemoryTransport,
  PublishError,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import { OutboxRelay, withOutbox } from '@nestjs-events/outbox';
import { createOutboxTable, DynamoDbOutboxStore } from '@nestjs-events/outbox/dynamodb';
import { awsTestConfig, uniqueName } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingNoted } from '../fixtures/events';
import { until } from '../fixtures/until';

describe('DynamoDB outbox (moto)', () => {
  let client: DynamoDBClient;
  let running: TestApp | undefined;

  beforeAll(() => {
    client = new DynamoDBClient(awsTestConfig('moto'));
  });
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });
  afterAll(() => client.destroy());

  async function setup() {
    const outboxTable = uniqueName('outbox');
    const entities = uniqueName('notes');
    await createOutboxTable(client, outboxTable);
    await client.send(
      new CreateTableCommand({
        TableName: entities,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    return { store: new DynamoDbOutboxStore({ client, tableName: outboxTable }), entities };
  }

  const noteExists = async (table: string, id: string) =>
    (await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }))).Item !==
    undefined;

  @Injectable()
  class Notes {
    readonly seen: EventEnvelope[] = [];

    @EventHandler(ThingNoted)
    noted(event: EventOf<typeof ThingNoted>) {
      this.seen.push(event);
    }
  }

  it('commits the entity and the outbox item in one TransactWriteItems, and relays the event', async () => {
    const { store, entities } = await setup();
    const transport = withOutbox(new InMemoryTransport(), {
      store,
      relay: { pollIntervalMs: 50 },
    });
    running = await createTestApp({ providers: [Notes] }, { transports: [transport] });
    const bus = running.app.get(EventBus);
    const event = ThingNoted.create({ note: 'saved' }, { aggregateId: 'n1' });
    await store.transaction(async (tx) => {
      tx.add({ Put: { TableName: entities, Item: { id: { S: 'n1' } } } });
      await bus.publish(event);
    });
    expect(await noteExists(entities, 'n1')).toBe(true);
    const notes = running.app.get(Notes);
    await until(() => notes.seen.length === 1, 10_000, 'the relayed event');
    expect(notes.seen[0].id).toBe(event.id);
    await until(async () => (await store.counts('memory')).pending === 0, 5000, 'the item sent');
  });

  it('writes neither when the callback throws or the transaction is cancelled', async () => {
    const { store, entities } = await setup();
    const transport = withOutbox(new InMemoryTransport(), { store, relay: false });
    running = await createTestApp({}, { transports: [transport] });
    const bus = running.app.get(EventBus);
    await expect(
      store.transaction(async (tx) => {
        tx.add({ Put: { TableName: entities, Item: { id: { S: 'thrown' } } } });
        await bus.publish(ThingNoted.create({ note: 'x' }));
        throw new Error('validation failed');
      }),
    ).rejects.toThrow('validation failed');
    await expect(
      store.transaction(async (tx) => {
        tx.add({
          Put: {
            TableName: entities,
            Item: { id: { S: 'cancelled' } },
            // An optimistic-lock check that fails: the item must already exist.
            ConditionExpression: 'attribute_exists(id)',
          },
        });
        await bus.publish(ThingNoted.create({ note: 'y' }));
      }),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(await noteExists(entities, 'thrown')).toBe(false);
    expect(await noteExists(entities, 'cancelled')).toBe(false);
    expect(await store.counts('memory')).toEqual({ pending: 0, parked: 0 });
  });

  it('two relays send every item once, in order per aggregate', async () => {
    const { store } = await setup();
    const events = Array.from({ length: 80 }, (_, n) =>
      ThingNoted.create({ note: `n${n}` }, { aggregateId: `agg-${n % 5}` }),
    );
    for (let n = 0; n < events.length; n += 20) {
      await store.appendCommitted(
        'dest',
        events.slice(n, n + 20).map((envelope) => ({ envelope, orderKey: envelope.aggregateId })),
      );
    }
    const received: EventEnvelope[] = [];
    const relays = [1, 2].map(
      () =>
        new OutboxRelay(
          store,
          'dest',
          (batch) => {
            received.push(...batch);
            return Promise.resolve();
          },
          { batchSize: 10, pollIntervalMs: 20 },
        ),
    );
    await Promise.all(relays.map((relay) => relay.start()));
    try {
      await until(() => received.length >= events.length, 30_000, 'every item sent');
    } finally {
      await Promise.all(relays.map((relay) => relay.stop({ deadlineMs: 5000 })));
    }
    const ids = received.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(events.length);
    for (let key = 0; key < 5; key++) {
      const of = (list: EventEnvelope[]) =>
        list.filter((event) => event.aggregateId === `agg-${key}`).map((event) => event.id);
      expect(of(received)).toEqual(of(events));
    }
    expect(await store.counts('dest')).toEqual({ pending: 0, parked: 0 });
  }, 40_000);

  it('retries with backoff, then parks an item with its error, and requeues it on demand', async () => {
    const { store } = await setup();
    const poison = ThingNoted.create({ note: 'poison' });
    await store.appendCommitted('dest', [{ envelope: poison }]);
    const relay = new OutboxRelay(
      store,
      'dest',
      () => Promise.reject(new PublishError([poison.id], 'broker unavailable')),
      { maxAttempts: 2, retryBaseDelayMs: 20, retryMaxDelayMs: 50, pollIntervalMs: 20 },
    );
    await relay.start();
    try {
      await until(async () => (await store.counts('dest')).parked === 1, 10_000, 'the parked item');
    } finally {
      await relay.stop({ deadlineMs: 2000 });
    }
    const [parked] = await store.parked('dest');
    expect(parked).toMatchObject({ eventId: poison.id, attempts: 2 });
    expect(parked.error).toContain('broker unavailable');
    expect(await store.requeueParked('dest')).toBe(1);
    expect(await store.counts('dest')).toEqual({ pending: 1, parked: 0 });
  }, 20_000);

  it('inbox: the handler’s writes and its record commit together, once', async () => {
    const { store, entities } = await setup();
    let runs = 0;
    const apply = () =>
      store.runOnce('Notes.save', 'event-1', () => {
        runs++;
        store.current().add({ Put: { TableName: entities, Item: { id: { S: 'from-inbox' } } } });
        return Promise.resolve('ok');
      });
    const first = await apply();
    const again = await apply();
    expect(first).toEqual({ ran: true, result: 'ok' });
    expect(again).toEqual({ ran: false });
    expect(runs).toBe(1);
    expect(await noteExists(entities, 'from-inbox')).toBe(true);

    // Two at once: both may run the callback, only one commits its writes.
    const both = await Promise.all([
      store.runOnce('Notes.save', 'event-2', () => Promise.resolve(1)),
      store.runOnce('Notes.save', 'event-2', () => Promise.resolve(2)),
    ]);
    expect(both.filter((result) => result.ran)).toHaveLength(1);
  });
});
