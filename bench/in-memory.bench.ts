/**
 * Publish → handled throughput of in-process event buses, and the memory that the idempotency
 * interceptor keeps. Run with `npm run bench`. Flags: --only=<part of a contender name>,
 * --no-memory, --events=<n>, --rounds=<n>; to profile one contender in this process:
 *   node --expose-gc --cpu-prof bench/dist/in-memory.bench.js --child=throughput \
 *     --contender='ours (@nestjs-events/core)'
 */
// Handlers are async without awaiting on purpose: every contender runs the same async body, the
// shape real handlers have, so each bus pays for the promise it creates.
/* eslint-disable @typescript-eslint/require-await */
import 'reflect-metadata';
import { fork } from 'node:child_process';
import {
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplicationContext,
  type ModuleMetadata,
  type NestInterceptor,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { ExternalContextCreator, NestFactory } from '@nestjs/core';
import {
  CqrsModule,
  EventBus as CqrsEventBus,
  EventsHandler,
  type IEventHandler,
} from '@nestjs/cqrs';
import {
  EventEmitter2 as NestEventEmitter2,
  EventEmitterModule,
  OnEvent,
} from '@nestjs/event-emitter';
import {
  EventBus,
  EventData,
  EventHandler,
  EventsModule,
  IDEMPOTENCY_STORE,
  Idempotent,
  type IdempotencyStore,
  MemoryIdempotencyStore,
  defineEvent,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import { EventEmitter2 } from 'eventemitter2';
import { z } from 'zod';
import {
  Completion,
  recordResults,
  drive,
  gc,
  int,
  machine,
  markdownTable,
  mb,
  median,
  settledMemory,
  type OrderPayload,
  type Publish,
} from './harness';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : 'true'] as const;
  }),
);
const EVENTS = Number(args.get('events') ?? 200_000);
const WARMUP_EVENTS = 20_000;
/** Measured rounds: one per pass over every contender, so that load drifts over all alike. */
const ROUNDS = Number(args.get('rounds') ?? 5);
/** Events in flight at once: a window of 1,000, or (`--burst`) a whole round at once. */
const WINDOW = args.has('burst') ? EVENTS : 1_000;
/** Rounds of slow contenders are cut to about this long, so that the bench stays short. */
const ROUND_MS = 2_000;
/** MemoryIdempotencyStore's default `maxKeys`. */
const STORE_MAX_KEYS = 100_000;
const MEMORY_EVENTS = 1_000_000;
const MEMORY_WINDOW = 10_000;
const MEMORY_TARGET_MB = 64;

const completion = new Completion();

// --- The event, in each library's idiom -------------------------------------------------------

const orderSchema = z.object({ orderId: z.string(), amount: z.number(), currency: z.string() });
const OrderCreated = defineEvent({ type: 'order.created', version: 1, schema: orderSchema });
const OrderCreatedNoSchema = defineEvent<OrderPayload, 'order.created'>({
  type: 'order.created',
  version: 1,
});

const createOrder = (payload: OrderPayload) => OrderCreated.create(payload);

class OrderCreatedEvent {
  constructor(
    readonly orderId: string,
    readonly amount: number,
    readonly currency: string,
  ) {}
}

// --- Handlers: the same body everywhere ---------------------------------------------------------

@Injectable()
class OnEventListener {
  @OnEvent('order.created')
  async onOrderCreated(payload: OrderPayload): Promise<void> {
    completion.record(payload.amount);
  }
}

@EventsHandler(OrderCreatedEvent)
class CqrsOrderCreatedHandler implements IEventHandler<OrderCreatedEvent> {
  async handle(event: OrderCreatedEvent): Promise<void> {
    completion.record(event.amount);
  }
}

@Injectable()
class OrderCreatedHandler {
  @EventHandler(OrderCreated)
  async onOrderCreated(event: EventOf<typeof OrderCreated>): Promise<void> {
    completion.record(event.data.amount);
  }
}

@Injectable()
class IdempotentOrderCreatedHandler {
  @Idempotent()
  @EventHandler(OrderCreated)
  async onOrderCreated(event: EventOf<typeof OrderCreated>): Promise<void> {
    completion.record(event.data.amount);
  }
}

@Injectable()
class NoSchemaOrderCreatedHandler {
  @EventHandler(OrderCreatedNoSchema)
  async onOrderCreated(event: EventOf<typeof OrderCreatedNoSchema>): Promise<void> {
    completion.record(event.data.amount);
  }
}

/** The enhancers of the enhancer-path rows: each does nothing but be there. */
@Injectable()
class NoOpInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

@Injectable()
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

class IdentityPipe implements PipeTransform<number, number> {
  transform(value: number): number {
    return value;
  }
}
const identityPipe = new IdentityPipe();

@Injectable()
class EnhancedOrderCreatedHandler {
  @UseGuards(AllowAll)
  @UseInterceptors(NoOpInterceptor)
  @EventHandler(OrderCreatedNoSchema)
  async onOrderCreated(@EventData('amount', identityPipe) amount: number): Promise<void> {
    completion.record(amount);
  }
}

/**
 * The anchor of the enhancer path: the same guard, interceptor and pipe around a listener of a
 * raw EventEmitter2, through Nest's ExternalContextCreator, the way @nestjs/microservices
 * handlers are called per message.
 */
@Injectable()
class ContextCreatorListener {
  @UseGuards(AllowAll)
  @UseInterceptors(NoOpInterceptor)
  async onOrderCreated(payload: OrderPayload): Promise<void> {
    completion.record(identityPipe.transform(payload.amount));
  }
}

// --- Contenders -------------------------------------------------------------------------------

interface Running {
  readonly publish: Publish;
  readonly app?: INestApplicationContext;
}

interface Contender {
  readonly name: string;
  start(): Promise<Running>;
}

const RAW_EE2 = 'raw EventEmitter2';
const NEST_EE = '@nestjs/event-emitter @OnEvent';
const CQRS = '@nestjs/cqrs EventBus';
const OURS = 'ours (@nestjs-events/core)';
const OURS_IDEMPOTENT = 'ours + @Idempotent()';
const OURS_NO_SCHEMA = 'ours, no schema';
const OURS_ENHANCED = 'ours + guard, interceptor, pipe';
const NEST_ENHANCED = 'Nest ExternalContextCreator + guard, interceptor, pipe';

function boot(module: Type): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
}

function moduleWith(imports: ModuleMetadata['imports'], providers: Type[]): Type {
  @Module({ imports, providers })
  class BenchModule {}
  return BenchModule;
}

function ours(
  name: string,
  handler: Type,
  create: (payload: OrderPayload) => EventEnvelope,
  { fullStore = false, providers = [] as Type[] } = {},
): Contender {
  return {
    name,
    async start() {
      const app = await boot(
        moduleWith([EventsModule.forRoot({ source: 'bench' })], [handler, ...providers]),
      );
      const bus = app.get(EventBus);
      if (fullStore) {
        // A long-running consumer's store sits at maxKeys, evicting one key per new event:
        // measure that steady state, not the first 100,000 events of a fresh process.
        const store = app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
        for (let i = 0; i < STORE_MAX_KEYS; i++) {
          const claim = await store.claim(`prefill:${i}`, { lockTtlMs: 60_000 });
          if (claim.status === 'acquired') {
            await store.complete(`prefill:${i}`, claim.token, { ttlMs: 86_400_000 });
          }
        }
      }
      // Envelope creation (id, time, metadata), schema validation, stamping and the whole
      // dispatch path (Nest interceptor chain, handling context) are part of every event.
      return { app, publish: (payload) => bus.publish(create(payload)) };
    },
  };
}

const contenders: Contender[] = [
  {
    name: RAW_EE2,
    async start() {
      const emitter = new EventEmitter2({ wildcard: true, delimiter: '.' });
      // EventEmitter2 drops the listener's promise, as @nestjs/event-emitter's listeners do.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      emitter.on('order.created', async (payload: OrderPayload) => {
        completion.record(payload.amount);
      });
      return { publish: (payload) => void emitter.emit('order.created', payload) };
    },
  },
  {
    name: NEST_EE,
    async start() {
      const app = await boot(
        moduleWith(
          [EventEmitterModule.forRoot({ wildcard: true, delimiter: '.' })],
          [OnEventListener],
        ),
      );
      // The module's emitter: the one @OnEvent listeners are registered on.
      const emitter = app.get(NestEventEmitter2);
      return { app, publish: (payload) => void emitter.emit('order.created', payload) };
    },
  },
  {
    name: CQRS,
    async start() {
      const app = await boot(moduleWith([CqrsModule.forRoot()], [CqrsOrderCreatedHandler]));
      const bus = app.get(CqrsEventBus);
      return {
        app,
        publish: (payload) =>
          void bus.publish(
            new OrderCreatedEvent(payload.orderId, payload.amount, payload.currency),
          ),
      };
    },
  },
  {
    name: NEST_ENHANCED,
    async start() {
      const app = await boot(moduleWith([], [ContextCreatorListener, AllowAll, NoOpInterceptor]));
      const listener = app.get(ContextCreatorListener);
      const run = app
        .get(ExternalContextCreator)
        .create(
          listener,
          listener.onOrderCreated as (...args: unknown[]) => unknown,
          'onOrderCreated',
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          'rpc',
        ) as (payload: OrderPayload) => Promise<void>;
      const emitter = new EventEmitter2({ wildcard: true, delimiter: '.' });
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      emitter.on('order.created', (payload: OrderPayload) => run(payload));
      return { app, publish: (payload) => void emitter.emit('order.created', payload) };
    },
  },
  ours(OURS, OrderCreatedHandler, createOrder),
  ours(OURS_IDEMPOTENT, IdempotentOrderCreatedHandler, createOrder, { fullStore: true }),
  ours(OURS_NO_SCHEMA, NoSchemaOrderCreatedHandler, (payload) =>
    OrderCreatedNoSchema.create(payload),
  ),
  ours(
    OURS_ENHANCED,
    EnhancedOrderCreatedHandler,
    (payload) => OrderCreatedNoSchema.create(payload),
    {
      providers: [AllowAll, NoOpInterceptor],
    },
  ),
];

// --- Throughput -------------------------------------------------------------------------------

interface Rounds {
  /** events/s of each round. */
  readonly rates: number[];
  readonly eventsPerRound: number;
}

/** Warm-up, then `count` measured rounds of one contender. */
async function rounds(contender: Contender, count: number): Promise<Rounds> {
  const running = await contender.start();
  try {
    // Lets V8 optimise the path before it is measured.
    const warmUpMs = await drive(running.publish, completion, {
      events: WARMUP_EVENTS,
      window: Math.min(WINDOW, WARMUP_EVENTS),
    });
    // A contender too slow for EVENTS in ROUND_MS gets fewer, so the bench ends within minutes.
    const affordable = Math.floor(((WARMUP_EVENTS / warmUpMs) * ROUND_MS) / 1_000) * 1_000;
    const events = Math.min(EVENTS, Math.max(10_000, affordable));
    const rates: number[] = [];
    for (let round = 1; round <= count; round++) {
      gc();
      const ms = await drive(running.publish, completion, {
        events,
        window: Math.min(WINDOW, events),
      });
      rates.push((events / ms) * 1000);
    }
    return { rates, eventsPerRound: events };
  } finally {
    await running.app?.close();
  }
}

interface Result {
  readonly rate: number;
  readonly eventsPerRound: number;
}

/**
 * Each contender runs in a fresh process. Sharing one would skew the comparison: on Node 20 our
 * AsyncLocalStorage installs promise hooks for the whole process once used, which slows every
 * promise (the async listeners of the others included), and shared code such as
 * EventEmitter2#emit would be optimised for whichever contender ran first.
 */
async function throughput(): Promise<Map<string, Result>> {
  const only = args.get('only');
  const selected = contenders.filter((c) => !only || c.name.includes(only));
  const rates = new Map<string, number[]>(selected.map((c) => [c.name, []]));
  const perRound = new Map<string, number>();
  // Pass after pass over every contender, a fresh process each time: a load that drifts over the
  // run is spread over all of them instead of weighing on whichever ran last.
  for (let pass = 1; pass <= ROUNDS; pass++) {
    for (const { name } of selected) {
      const result = await inChild<Rounds>(['--child=throughput', `--contender=${name}`]);
      rates.get(name)!.push(...result.rates);
      perRound.set(name, result.eventsPerRound);
      console.error(
        `  pass ${pass}  ${name.padEnd(54)} ${int(result.rates[0]).padStart(10)} events/s` +
          ` (${int(result.eventsPerRound)} events)`,
      );
    }
  }
  const results = new Map<string, Result>();
  for (const [name, measured] of rates) {
    results.set(name, { rate: median(measured), eventsPerRound: perRound.get(name)! });
  }
  return results;
}

function report(results: Map<string, Result>): string[] {
  const raw = results.get(RAW_EE2)?.rate;
  const nestEe = results.get(NEST_EE)?.rate;
  const cqrs = results.get(CQRS)?.rate;
  // Two significant digits below 0.1, so that a small ratio does not print as 0.00×.
  const ratio = (rate: number, base?: number) =>
    base
      ? `${rate / base < 0.1 ? (rate / base).toPrecision(2) : (rate / base).toFixed(2)}×`
      : 'n/a';
  console.log(
    markdownTable(
      [
        'contender',
        'events/s',
        'vs @nestjs/event-emitter',
        'vs raw EventEmitter2',
        'vs @nestjs/cqrs',
        'events/round',
      ],
      [...results].map(([name, { rate, eventsPerRound }]) => [
        name,
        int(rate),
        ratio(rate, nestEe),
        ratio(rate, raw),
        ratio(rate, cqrs),
        int(eventsPerRound),
      ]),
    ),
  );
  const misses: string[] = [];
  const lines: string[] = [];
  const check = (label: string, contender: string, base: number | undefined, target: number) => {
    const rate = results.get(contender)?.rate;
    if (rate === undefined || base === undefined) return;
    const actual = rate / base;
    const met = actual >= target;
    if (!met) misses.push(label);
    lines.push(`- ${label}: ${actual.toPrecision(2)}× (${met ? 'met' : 'MISSED'})`);
  };
  check('no schema ≥ 0.5× @nestjs/event-emitter', OURS_NO_SCHEMA, nestEe, 0.5);
  check('zod schema ≥ 0.4× @nestjs/event-emitter', OURS, nestEe, 0.4);
  check('@Idempotent() ≥ 0.25× @nestjs/event-emitter', OURS_IDEMPOTENT, nestEe, 0.25);
  check('zod schema ≥ 1× @nestjs/cqrs', OURS, cqrs, 1);
  check(
    'guard + interceptor + pipe ≥ 5× Nest ExternalContextCreator',
    OURS_ENHANCED,
    results.get(NEST_ENHANCED)?.rate,
    5,
  );
  if (lines.length) console.log(`\nTargets (window ${int(WINDOW)}):\n${lines.join('\n')}`);
  return misses;
}

// --- Memory -----------------------------------------------------------------------------------

interface MemoryResult {
  readonly rssGrowth: number;
  readonly peakRssGrowth: number;
  readonly heapGrowth: number;
  readonly storeKeys: number;
  readonly seconds: number;
}

/**
 * 1,000,000 distinct events through an @Idempotent() handler with the default memory store. Runs
 * in a process of its own, so the throughput runs' garbage does not hide (or inflate) what the
 * store keeps.
 */
async function memory(): Promise<MemoryResult> {
  const app = await boot(
    moduleWith([EventsModule.forRoot({ source: 'bench' })], [IdempotentOrderCreatedHandler]),
  );
  try {
    const bus = app.get(EventBus);
    const store = app.get<MemoryIdempotencyStore>(IDEMPOTENCY_STORE);
    const before = await settledMemory();
    let peakRss = before.rss;
    const ms = await drive((payload) => bus.publish(createOrder(payload)), completion, {
      events: MEMORY_EVENTS,
      window: MEMORY_WINDOW,
      afterWindow: () => (peakRss = Math.max(peakRss, process.memoryUsage.rss())),
    });
    const after = await settledMemory();
    return {
      rssGrowth: after.rss - before.rss,
      peakRssGrowth: peakRss - before.rss,
      heapGrowth: after.heapUsed - before.heapUsed,
      storeKeys: store.size,
      seconds: ms / 1000,
    };
  } finally {
    await app.close();
  }
}

/**
 * Runs this script again in a fresh process (inheriting node's flags: --expose-gc, and --cpu-prof
 * when profiling) and resolves with the result that process sends back.
 */
function inChild<T>(childArgs: readonly string[]): Promise<T> {
  const passed = ['events', 'burst'].filter((key) => args.has(key));
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [
      ...childArgs,
      ...passed.map((key) => `--${key}=${args.get(key)}`),
    ]);
    let result: { value: T } | undefined;
    child.once('message', (message) => (result = { value: message as T }));
    child.once('error', reject);
    child.once('exit', (code) =>
      result
        ? resolve(result.value)
        : reject(new Error(`${childArgs.join(' ')} exited with code ${code}`)),
    );
  });
}

function reportMemory(result: MemoryResult): boolean {
  const met = result.rssGrowth <= MEMORY_TARGET_MB * 2 ** 20;
  console.log(
    `\nMemory: ${int(MEMORY_EVENTS)} distinct events through @Idempotent() (MemoryIdempotencyStore, ` +
      `maxKeys ${int(STORE_MAX_KEYS)}) in ${result.seconds.toFixed(1)} s ` +
      `(${int(MEMORY_EVENTS / result.seconds)} events/s), ${int(MEMORY_WINDOW)} at a time`,
  );
  console.log(
    `- RSS growth after gc: ${mb(result.rssGrowth)} MB (target ≤ ${MEMORY_TARGET_MB} MB: ${met ? 'met' : 'MISSED'})`,
  );
  console.log(`- peak RSS growth during the run: ${mb(result.peakRssGrowth)} MB`);
  console.log(
    `- heap used growth after gc: ${mb(result.heapGrowth)} MB; keys in the store: ${int(result.storeKeys)}`,
  );
  return met;
}

// --- Main -------------------------------------------------------------------------------------

function contenderNamed(name: string | undefined): Contender {
  const contender = contenders.find((c) => c.name === name);
  if (!contender) {
    throw new Error(
      `No contender named ${JSON.stringify(name)}; known: ${contenders.map((c) => c.name).join(', ')}`,
    );
  }
  return contender;
}

/** A child's part; run one alone to profile it (see docs/benchmarks.md). */
async function child(part: string): Promise<void> {
  const result =
    part === 'memory'
      ? await memory()
      : await rounds(
          contenderNamed(args.get('contender')),
          args.has('rounds-in-child') ? ROUNDS : 1,
        );
  if (!process.send) {
    console.log(result);
    return;
  }
  // The IPC channel would keep this process alive; let go of it once the result is sent.
  process.send(result, () => process.disconnect());
}

async function main(): Promise<void> {
  const part = args.get('child');
  if (part) return child(part);
  const started = performance.now();
  const recording = recordResults(args.has('burst') ? 'in-memory-burst' : 'in-memory-window', [
    '--burst',
    '--no-memory',
  ]);
  console.log(machine());
  console.log(
    `Median of ${ROUNDS} interleaved rounds of ${int(EVENTS)} events (fewer for contenders that ` +
      `need more than ${ROUND_MS / 1000} s), each in a fresh process after ${int(WARMUP_EVENTS)} ` +
      `warm-up events; ${args.has('burst') ? 'a burst: the whole round published at once' : `published ${int(WINDOW)} at a time`}\n`,
  );
  const results = await throughput();
  console.log('');
  const misses = report(results);
  if (!args.has('no-memory')) {
    console.error(`\n  memory: ${int(MEMORY_EVENTS)} events through @Idempotent()…`);
    if (!reportMemory(await inChild<MemoryResult>(['--child=memory']))) misses.push('memory');
  }
  console.log(`\nTotal bench time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Missed targets are reported, not failed: the figures depend on the machine.
  if (misses.length) console.log(`Targets missed: ${misses.join(', ')}`);
  await recording.write();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
