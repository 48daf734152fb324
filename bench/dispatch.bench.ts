/**
 * Dispatching one event to many handlers of its type, each with its own content pattern, a few of
 * which match: `SubscriptionSet` with its pattern index against the per-handler loop (each
 * handler prepares the event and tests its own pattern), at 1, 10, 100 and 1,000 handlers. Both
 * in memory (the envelope as this process's bus validated it: nothing to validate again) and as
 * from a queue (a parsed copy, validated for each handler that sees it). Run with `npm run bench`
 * or `npx tsc -b bench && node --expose-gc bench/dist/dispatch.bench.js`. Flags:
 * --sizes=<n,n,…>, --ms=<minimum milliseconds per round>, --rounds=<n> (the median is kept).
 */
import 'reflect-metadata';
import { Injectable, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  defineEvent,
  EventBus,
  EventHandler,
  EventsModule,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import {
  SubscriptionSet,
  type DeliveryInfo,
  type DeliveryOutcome,
  type EventSubscription,
  type Transport,
} from '@nestjs-events/core/transport';
import { z } from 'zod';
import { int, machine, markdownTable, median, recordResults } from './harness';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : 'true'] as const;
  }),
);
const SIZES = (args.get('sizes') ?? '1,10,100,1000').split(',').map(Number);
const ROUND_MS = Number(args.get('ms') ?? 400);
const ROUNDS = Number(args.get('rounds') ?? 3);
/** Distinct events per size; the measurement cycles through them. */
const EVENT_POOL = 256;
/** Events dispatched before their outcomes are awaited. */
const WINDOW = 64;

const OrderPlaced = defineEvent({
  type: 'order.placed',
  schema: z.object({
    customerId: z.string(),
    amount: z.number(),
    currency: z.string(),
    sku: z.string(),
  }),
});

let handled = 0;

/**
 * Handler `i` takes the orders of customer `i >> 2` from some amount up (0, 25, 50 or 75): each
 * pattern is distinct, and an order of 60 matches three of its customer's four handlers.
 */
function patternOf(i: number) {
  return {
    source: ['checkout'],
    data: {
      customerId: [`cust-${i >> 2}`],
      amount: [{ numeric: ['>=', (i & 3) * 25] }],
      currency: ['EUR', 'USD'],
    },
  };
}

function handlerClass(i: number): Type {
  class OrderHandler {
    onOrder(event: EventOf<typeof OrderPlaced>): void {
      if (event.data.amount >= 0) handled++;
    }
  }
  Object.defineProperty(OrderHandler, 'name', { value: `OrderHandler${i}` });
  const method = Object.getOwnPropertyDescriptor(OrderHandler.prototype, 'onOrder')!;
  EventHandler(OrderPlaced, { pattern: patternOf(i) })(OrderHandler.prototype, 'onOrder', method);
  Injectable()(OrderHandler);
  return OrderHandler;
}

/** Keeps what the module subscribes and publishes, and delivers nothing by itself. */
class CapturingTransport implements Transport {
  readonly name = 'capture';
  readonly subscriptions: EventSubscription[] = [];
  readonly published: EventEnvelope[] = [];
  publish(events: readonly EventEnvelope[]): Promise<void> {
    this.published.push(...events);
    return Promise.resolve();
  }
  subscribe(subscription: EventSubscription): void {
    this.subscriptions.push(subscription);
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  health() {
    return { status: 'up' as const };
  }
}

interface Setup {
  readonly subscriptions: EventSubscription[];
  /** As the bus published them (validated and stamped). */
  readonly trusted: EventEnvelope[];
  /** As they arrive from a queue: parsed copies. */
  readonly received: EventEnvelope[];
  close(): Promise<void>;
}

async function setUp(size: number): Promise<Setup> {
  const transport = new CapturingTransport();
  const providers = Array.from({ length: size }, (_, i) => handlerClass(i));
  @Module({
    imports: [EventsModule.forRoot({ source: 'checkout', transports: [transport] })],
    providers,
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const bus = app.get(EventBus);
  const customers = Math.max(1, Math.ceil(size / 4));
  for (let i = 0; i < EVENT_POOL; i++) {
    await bus.publish(
      OrderPlaced.create({
        customerId: `cust-${i % customers}`,
        amount: 60,
        currency: i % 2 ? 'EUR' : 'USD',
        sku: `SKU-${i}`,
      }),
    );
  }
  const trusted = transport.published.splice(0);
  return {
    subscriptions: transport.subscriptions,
    trusted,
    received: trusted.map((event) => JSON.parse(JSON.stringify(event)) as EventEnvelope),
    close: () => app.close(),
  };
}

/** Dispatches the pool, cycling, in rounds of at least ROUND_MS; the median µs per event. */
async function measure(
  set: SubscriptionSet,
  events: readonly EventEnvelope[],
  delivery: DeliveryInfo,
): Promise<number> {
  const outcomes: Promise<DeliveryOutcome>[] = [];
  const settle = (outcome: Promise<DeliveryOutcome>) => void outcomes.push(outcome);
  let position = 0;
  const window = async () => {
    for (let i = 0; i < WINDOW; i++) {
      set.dispatch(events[position], delivery, settle);
      position = (position + 1) % events.length;
    }
    await Promise.all(outcomes);
    outcomes.length = 0;
  };
  // Warm-up, so that the JIT has seen the code.
  for (let i = 0; i < 20; i++) await window();
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    (globalThis as { gc?: () => void }).gc?.();
    let count = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      await window();
      count += WINDOW;
      elapsed = performance.now() - started;
    }
    rounds.push((elapsed * 1_000) / count);
  }
  return median(rounds);
}

/** What each path does with the pool: handler runs and outcomes by status, which must agree. */
async function census(
  set: SubscriptionSet,
  events: readonly EventEnvelope[],
  delivery: DeliveryInfo,
): Promise<string> {
  const before = handled;
  const statuses = new Map<string, number>();
  for (const event of events) {
    const outcomes: Promise<DeliveryOutcome>[] = [];
    set.dispatch(event, delivery, (outcome) => void outcomes.push(outcome));
    for (const { status } of await Promise.all(outcomes)) {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }
  return JSON.stringify({ runs: handled - before, ...Object.fromEntries(statuses) });
}

interface Row {
  readonly handlers: number;
  readonly matchesPerEvent: number;
  readonly memory: { readonly loop: number; readonly index: number };
  readonly queue: { readonly loop: number; readonly index: number };
}

const IN_MEMORY: DeliveryInfo = { attempt: 1, trusted: true };
const FROM_QUEUE: DeliveryInfo = { attempt: 1 };

async function run(size: number): Promise<Row> {
  const setup = await setUp(size);
  try {
    const loop = new SubscriptionSet(setup.subscriptions, { indexFrom: Infinity });
    const indexed = new SubscriptionSet(setup.subscriptions, { indexFrom: 2 });
    let matchesPerEvent = 0;
    for (const [events, delivery] of [
      [setup.trusted, IN_MEMORY],
      [setup.received, FROM_QUEUE],
    ] as const) {
      const expected = await census(loop, events, delivery);
      const actual = await census(indexed, events, delivery);
      if (actual !== expected) {
        throw new Error(`at ${size} handlers, the loop did ${expected}, the index ${actual}`);
      }
      matchesPerEvent = (JSON.parse(expected) as { runs: number }).runs / events.length;
    }
    const memory = {
      loop: await measure(loop, setup.trusted, IN_MEMORY),
      index: await measure(indexed, setup.trusted, IN_MEMORY),
    };
    const queue = {
      loop: await measure(loop, setup.received, FROM_QUEUE),
      index: await measure(indexed, setup.received, FROM_QUEUE),
    };
    return { handlers: size, matchesPerEvent, memory, queue };
  } finally {
    await setup.close();
  }
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const recording = recordResults('dispatch');
  console.log(machine());
  console.log(
    `${int(EVENT_POOL)} events per size, ${WINDOW} dispatched before awaiting their outcomes; ` +
      `median of ${ROUNDS} rounds of at least ${int(ROUND_MS)} ms per measurement.\n`,
  );
  const rows: Row[] = [];
  for (const size of SIZES) {
    const row = await run(size);
    rows.push(row);
    console.log(
      `${int(size)} handlers: in memory loop ${row.memory.loop.toFixed(2)} µs/event, index ` +
        `${row.memory.index.toFixed(2)}; from a queue loop ${row.queue.loop.toFixed(2)}, index ` +
        `${row.queue.index.toFixed(2)}`,
    );
  }
  const micros = (value: number) => (value < 10 ? value.toFixed(2) : int(value));
  const ratio = (loop: number, index: number) => `${(loop / index).toFixed(2)}×`;
  console.log(
    '\n' +
      markdownTable(
        [
          'handlers',
          'matches/event',
          'in memory: loop µs/event',
          'index µs/event',
          'index vs loop',
          'from a queue: loop µs/event',
          'index µs/event',
          'index vs loop',
        ],
        rows.map((row) => [
          int(row.handlers),
          row.matchesPerEvent.toFixed(2),
          micros(row.memory.loop),
          micros(row.memory.index),
          ratio(row.memory.loop, row.memory.index),
          micros(row.queue.loop),
          micros(row.queue.index),
          ratio(row.queue.loop, row.queue.index),
        ]),
      ),
  );
  console.log(`\nTotal bench time: ${((performance.now() - benchStarted) / 1_000).toFixed(1)} s.`);
  await recording.write();
}

void main();
