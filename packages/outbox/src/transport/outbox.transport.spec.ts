import { Logger } from '@nestjs/common';
import type { EventEnvelope, Transport } from '@nestjs-events/core';
import { runInOutboxScope } from '../context/outbox.scope';
import { OutboxStoreMismatchError, OutboxTransactionRequiredError } from '../outbox.errors';
import type {
  OutboxRecord,
  OutboxRow,
  OutboxRowOutcome,
  OutboxStore,
} from '../outbox-store.interface';
import { withOutbox } from './outbox.transport';

/** Rows in an array; `append` only into a transaction's list, committed by the test. */
class ListStore implements OutboxStore {
  readonly description = 'a list';
  readonly rows: (OutboxRow & { destination: string; sent: boolean })[] = [];
  relayCalls = 0;
  failRelay = 0;

  append(transaction: unknown, destination: string, records: readonly OutboxRecord[]) {
    (transaction as OutboxRecord[]).push(...records.map((record) => ({ ...record, destination })));
    return Promise.resolve();
  }

  commit(transaction: (OutboxRecord & { destination?: string })[]) {
    for (const record of transaction) {
      this.rows.push({
        id: String(this.rows.length + 1),
        envelope: record.envelope,
        orderKey: record.orderKey,
        attempts: 0,
        destination: record.destination!,
        sent: false,
      });
    }
  }

  appendCommitted(destination: string, records: readonly OutboxRecord[]) {
    const transaction: OutboxRecord[] = [];
    void this.append(transaction, destination, records);
    this.commit(transaction);
    return Promise.resolve();
  }

  async relay(
    destination: string,
    limit: number,
    send: (rows: readonly OutboxRow[]) => Promise<readonly OutboxRowOutcome[]>,
  ): Promise<number> {
    this.relayCalls++;
    if (this.failRelay > 0) {
      this.failRelay--;
      throw new Error('connection refused at postgres://app:secret@db/app');
    }
    const due = this.rows.filter((row) => row.destination === destination && !row.sent);
    const claimed = due.slice(0, limit);
    if (claimed.length === 0) return 0;
    for (const outcome of await send(claimed)) {
      if (outcome.status === 'sent') this.rows.find((row) => row.id === outcome.id)!.sent = true;
    }
    return claimed.length;
  }

  purgeSent = () => Promise.resolve(0);
  counts = () => Promise.resolve({ pending: this.rows.filter((r) => !r.sent).length, parked: 0 });
  parked = () => Promise.resolve([]);
  requeueParked = () => Promise.resolve(0);
}

class RecordingTransport implements Transport {
  readonly published: EventEnvelope[] = [];
  started = 0;
  stopped = 0;

  constructor(readonly name: string) {}

  publish(events: readonly EventEnvelope[]) {
    this.published.push(...events);
    return Promise.resolve();
  }
  subscribe() {}
  start() {
    this.started++;
    return Promise.resolve();
  }
  stop() {
    this.stopped++;
    return Promise.resolve();
  }
  health() {
    return { status: 'up' as const, details: { queue: 'q' } };
  }
}

const envelope = (id: string, aggregateId?: string): EventEnvelope => ({
  id,
  type: 'thing.noted',
  version: 1,
  source: 'test',
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: {},
  metadata: { correlationId: id },
  ...(aggregateId ? { aggregateId } : {}),
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('OutboxTransport', () => {
  // The relay logs the store failures these tests cause on purpose.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
  });

  it('keeps the wrapped transport’s name and writes a publish in a scope to its transaction', async () => {
    const store = new ListStore();
    const inner = new RecordingTransport('sns-sqs');
    const transport = withOutbox(inner, { store, relay: false });
    expect(transport.name).toBe('sns-sqs');
    const transaction: OutboxRecord[] = [];
    await runInOutboxScope({ store, transaction }, () =>
      transport.publish([envelope('e1', 'order-1'), envelope('e2')]),
    );
    expect(inner.published).toEqual([]);
    expect(transaction).toEqual([
      { envelope: envelope('e1', 'order-1'), orderKey: 'order-1', destination: 'sns-sqs' },
      { envelope: envelope('e2'), destination: 'sns-sqs' },
    ]);
  });

  it('describes itself as the wrapped transport does', () => {
    const messaging = { publish: 'aws_sns', consume: 'aws_sqs' };
    const inner = Object.assign(new RecordingTransport('t'), { messaging });
    const transport = withOutbox(inner, { store: new ListStore(), relay: false });
    expect(transport.messaging).toBe(messaging);
  });

  it('orders by the orderKey option', async () => {
    const store = new ListStore();
    const transport = withOutbox(new RecordingTransport('t'), {
      store,
      relay: false,
      orderKey: (event) => `tenant-${event.id}`,
    });
    const transaction: OutboxRecord[] = [];
    await runInOutboxScope({ store, transaction }, () => transport.publish([envelope('e1')]));
    expect(transaction[0].orderKey).toBe('tenant-e1');
  });

  it('outside a transaction publishes directly, writes a committed row, or refuses, as configured', async () => {
    const store = new ListStore();
    const inner = new RecordingTransport('t');
    await withOutbox(inner, { store, relay: false }).publish([envelope('direct')]);
    expect(inner.published.map((e) => e.id)).toEqual(['direct']);

    await withOutbox(inner, { store, relay: false, outsideTransaction: 'outbox' }).publish([
      envelope('durable'),
    ]);
    expect(store.rows.map((row) => row.envelope.id)).toEqual(['durable']);

    await expect(
      withOutbox(inner, { store, relay: false, outsideTransaction: 'reject' }).publish([
        envelope('no'),
      ]),
    ).rejects.toBeInstanceOf(OutboxTransactionRequiredError);
  });

  it('refuses a transaction of another store, naming both', async () => {
    const store = new ListStore();
    const other = Object.assign(new ListStore(), { description: 'another list' });
    const transport = withOutbox(new RecordingTransport('t'), { store, relay: false });
    const attempt = runInOutboxScope({ store: other, transaction: [] }, () =>
      transport.publish([envelope('e1')]),
    );
    await expect(attempt).rejects.toBeInstanceOf(OutboxStoreMismatchError);
    await expect(attempt).rejects.toThrow(/a list.*another list/);
  });

  it('starts the relay after the wrapped transport and drains it before stopping that', async () => {
    const store = new ListStore();
    const inner = new RecordingTransport('t');
    const transport = withOutbox(inner, { store, relay: { pollIntervalMs: 60_000 } });
    await transport.start();
    expect(inner.started).toBe(1);
    store.commit([envelope('a'), envelope('b')].map((e) => ({ envelope: e, destination: 't' })));
    // The relay sleeps for a minute: only the stop's drain sends these.
    await transport.stop({ deadlineMs: 2000 });
    expect(inner.published.map((e) => e.id)).toEqual(['a', 'b']);
    expect(inner.stopped).toBe(1);
    const health = await transport.health();
    expect(health).toMatchObject({
      status: 'up',
      details: { queue: 'q', outbox: { store: 'a list', sent: 2, storeReachable: true } },
    });
  });

  it('backs off while the store is unreachable, reports it down with the redacted error, and recovers', async () => {
    const store = new ListStore();
    // Unreachable until the test says otherwise, so that health is read while it still fails.
    store.failRelay = Number.POSITIVE_INFINITY;
    const inner = new RecordingTransport('t');
    const transport = withOutbox(inner, { store, relay: { pollIntervalMs: 10 } });
    await transport.start();
    try {
      await until(() => store.relayCalls >= 2, 'a second relay pass');
      const down = await transport.health();
      expect(down.status).toBe('down');
      const details = JSON.stringify(down.details);
      expect(details).toContain('connection refused');
      expect(details).not.toContain('secret');
      store.failRelay = 0;
      await store.appendCommitted('t', [{ envelope: envelope('late') }]);
      await until(() => inner.published.length === 1, 'the row sent after recovery');
      expect((await transport.health()).status).toBe('up');
    } finally {
      await transport.stop({ deadlineMs: 1000 });
    }
  });
});
