/**
 * Matching one event against many handler patterns: `EventPatternIndex` against a loop over every
 * pattern's `compilePattern()` matcher, at 10, 1,000 and 10,000 patterns. Run with `npm run bench`
 * or `npx tsc -b bench && node bench/dist/patterns.bench.js`. Flags: --sizes=<n,n,…>,
 * --ms=<minimum milliseconds per round>, --rounds=<n> (the median is kept), --seed=<n>.
 */
import {
  compilePattern,
  EventPatternIndex,
  type EventPattern,
} from '@nestjs-events/event-patterns';
import { int, machine, markdownTable, median } from './harness';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : 'true'] as const;
  }),
);
const SIZES = (args.get('sizes') ?? '10,1000,10000').split(',').map(Number);
const ROUND_MS = Number(args.get('ms') ?? 400);
const ROUNDS = Number(args.get('rounds') ?? 3);
const SEED = Number(args.get('seed') ?? 42);
/** Distinct events per size; the measurement cycles through them. */
const EVENT_POOL = 2_000;
/** Events on which the index's answer is compared with the loop's before measuring. */
const CHECKED_EVENTS = 200;
const TARGET_RATIO = 3;
/** How many times in a row each event is matched for the warm-cache figure. */
const REPEAT = 32;

// --- A seeded generator, so that every run measures the same patterns and events ---------------

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = mulberry32(SEED);
const chance = (p: number) => next() < p;
const below = (n: number) => Math.floor(next() * n);
const pick = <T>(values: readonly T[]): T => values[below(values.length)];
const some = <T>(values: readonly T[], max: number): T[] => {
  const chosen = new Set<T>();
  const count = 1 + below(max);
  while (chosen.size < count) chosen.add(pick(values));
  return [...chosen];
};

// --- The vocabulary of a mid-sized system: 50 services, 200 event types ------------------------

const DOMAINS = [
  'orders',
  'billing',
  'payments',
  'shipping',
  'inventory',
  'catalog',
  'customers',
  'accounts',
  'notifications',
  'analytics',
];
const ROLES = ['api', 'worker', 'service', 'jobs', 'gateway'];
const SOURCES = DOMAINS.flatMap((domain) => ROLES.map((role) => `${domain}-${role}`));
const ENTITIES = [
  'order',
  'invoice',
  'payment',
  'refund',
  'shipment',
  'parcel',
  'stock',
  'product',
  'price',
  'customer',
  'account',
  'session',
  'cart',
  'coupon',
  'review',
  'subscription',
  'plan',
  'ticket',
  'message',
  'report',
];
const VERBS = [
  'created',
  'updated',
  'deleted',
  'placed',
  'cancelled',
  'completed',
  'failed',
  'approved',
  'rejected',
  'expired',
];
const TYPES = ENTITIES.flatMap((entity) => VERBS.map((verb) => `${entity}.${verb}`));
const REGIONS = [
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'eu-north-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
  'sa-east-1',
  'ca-central-1',
];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK'];
const CHANNELS = ['web', 'ios', 'android', 'pos', 'partner'];
const STATUSES = ['active', 'pending', 'cancelled', 'failed', 'archived'];
const MAIL_DOMAINS = Array.from({ length: 30 }, (_, i) => `mail${i}.example`);
const TENANTS = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);

// --- Patterns, each with an event fragment that satisfies it ------------------------------------

/** Dotted path → value to set, or undefined to leave the field out. */
type Witness = Map<string, unknown>;

interface Generated {
  readonly pattern: EventPattern;
  readonly witness: Witness;
}

/** One data field constraint: the pattern part and a value that satisfies it. */
type FieldMaker = () => { pattern: unknown; value: unknown; path: string };

const DATA_FIELDS: readonly FieldMaker[] = [
  () => {
    const regions = some(REGIONS, 2);
    return { path: 'data.region', pattern: regions, value: pick(regions) };
  },
  () => {
    const id = `cust-${below(20_000)}`;
    return { path: 'data.customerId', pattern: [id], value: id };
  },
  () => {
    const from = below(100) * 10;
    const width = 10 * (1 + below(20));
    return {
      path: 'data.amount',
      pattern: [{ numeric: ['>=', from, '<', from + width] }],
      value: from + width / 2,
    };
  },
  () => {
    const prefix = `SKU-${10 + below(90)}`;
    return {
      path: 'data.sku',
      pattern: [{ prefix }],
      value: `${prefix}${below(1000)}`,
    };
  },
  () => {
    const domain = pick(MAIL_DOMAINS);
    return {
      path: 'data.email',
      pattern: [{ suffix: `@${domain}` }],
      value: `user${below(1000)}@${domain}`,
    };
  },
  () => ({
    path: 'data.status',
    pattern: [{ 'anything-but': ['cancelled', 'failed'] }],
    value: pick(['active', 'pending', 'archived']),
  }),
  () => {
    const currencies = some(CURRENCIES, 2);
    return {
      path: 'data.currency',
      pattern: currencies,
      value: pick(currencies),
    };
  },
  () => {
    const channel = pick(CHANNELS);
    return {
      path: 'data.channel',
      pattern: [{ 'equals-ignore-case': channel.toUpperCase() }],
      value: channel,
    };
  },
  () =>
    chance(0.5)
      ? {
          path: 'data.coupon',
          pattern: [{ exists: true }],
          value: `C${below(100)}`,
        }
      : { path: 'data.coupon', pattern: [{ exists: false }], value: undefined },
  () => {
    const tenant = pick(TENANTS);
    return { path: 'metadata.tenant', pattern: [tenant], value: tenant };
  },
  () => {
    const network = below(256);
    return {
      path: 'metadata.ip',
      pattern: [{ cidr: `10.${network}.0.0/16` }],
      value: `10.${network}.${below(256)}.${below(256)}`,
    };
  },
];

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function generatePattern(): Generated {
  const pattern: Record<string, unknown> = {};
  const witness: Witness = new Map();
  // Handlers name the event type, and most also the service it comes from; a type prefix
  // (every event of an entity) comes with the service.
  const fromSource = chance(0.9);
  if (fromSource) {
    const sources = some(SOURCES, 2);
    pattern.source = sources;
    witness.set('source', pick(sources));
  }
  const entity = pick(ENTITIES);
  if (!fromSource || chance(0.85)) {
    const types = some(
      VERBS.map((verb) => `${entity}.${verb}`),
      3,
    );
    pattern.type = types;
    witness.set('type', pick(types));
  } else {
    pattern.type = [{ prefix: `${entity}.` }];
    witness.set('type', `${entity}.${pick(VERBS)}`);
  }
  const fields = new Map<string, ReturnType<FieldMaker>>();
  // A handler listening to a type from any service filters on the data.
  const count = fromSource ? below(4) : 1 + below(3);
  while (fields.size < count) {
    const field = pick(DATA_FIELDS)();
    fields.set(field.path, field);
  }
  for (const field of fields.values()) {
    setPath(pattern, field.path, field.pattern);
    witness.set(field.path, field.value);
  }
  if (chance(0.1)) {
    // An order line holding both the SKU and the quantity (one array element).
    const sku = `SKU-${below(1000)}`;
    const quantity = 1 + below(5);
    setPath(pattern, 'data.items', {
      sku: [sku],
      quantity: [{ numeric: ['>=', quantity] }],
    });
    witness.set('data.items', [
      { sku: `SKU-${below(1000)}`, quantity: 1 },
      { sku, quantity },
    ]);
  }
  if (chance(0.1)) {
    pattern.$or = [
      { data: { priority: ['high', 'urgent'] } },
      { data: { amount: [{ numeric: ['>', 5_000] }] } },
    ];
    witness.set('data.priority', 'urgent');
  }
  return { pattern: pattern as EventPattern, witness };
}

/** A plausible envelope with every field drawn at random, then the witness applied. */
function generateEvent(witness: Witness): Record<string, unknown> {
  const event: Record<string, unknown> = {
    type: pick(TYPES),
    version: 1 + below(3),
    source: pick(SOURCES),
    aggregateId: `agg-${below(1_000_000)}`,
    occurredAt: '2024-05-01T12:00:00.000Z',
    data: {
      region: pick(REGIONS),
      customerId: `cust-${below(20_000)}`,
      amount: below(100_000) / 10,
      currency: pick(CURRENCIES),
      sku: `SKU-${below(100_000)}`,
      email: `user${below(1000)}@${pick(MAIL_DOMAINS)}`,
      status: pick(STATUSES),
      channel: pick(CHANNELS),
      items: Array.from({ length: 1 + below(3) }, () => ({
        sku: `SKU-${below(1000)}`,
        quantity: 1 + below(3),
      })),
    },
    metadata: {
      tenant: pick(TENANTS),
      ip: `10.${below(256)}.${below(256)}.${below(256)}`,
      correlationId: `corr-${below(1_000_000)}`,
    },
  };
  for (const [path, value] of witness) {
    if (value === undefined) {
      const keys = path.split('.');
      const parent = keys
        .slice(0, -1)
        .reduce<Record<string, unknown>>(
          (node, key) => node[key] as Record<string, unknown>,
          event,
        );
      delete parent[keys[keys.length - 1]];
    } else {
      setPath(event, path, value);
    }
  }
  return event;
}

// --- Measurement ------------------------------------------------------------------------------

/**
 * Runs `match` over the pool, cycling, for `ROUNDS` rounds of at least `ROUND_MS` each after a
 * garbage collection; returns the median µs per event.
 */
function measure(events: readonly object[], match: (event: object) => number): number {
  let sink = 0;
  // Warm-up, so that the JIT has seen the code.
  for (let i = 0; i < Math.min(events.length, 200); i++) sink += match(events[i]);
  const rounds: number[] = [];
  let position = 0;
  for (let round = 0; round < ROUNDS; round++) {
    collectGarbage();
    let count = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      // The clock is read every 16 events, so that reading it costs nothing measurable.
      for (let i = 0; i < 16; i++) {
        sink += match(events[position]);
        position = (position + 1) % events.length;
      }
      count += 16;
      elapsed = performance.now() - started;
    }
    rounds.push((elapsed * 1_000) / count);
  }
  if (sink < 0) console.log(sink);
  return median(rounds);
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

interface Row {
  readonly patterns: number;
  readonly indexMicros: number;
  readonly warmMicros: number;
  readonly loopMicros: number;
  readonly indexBuildMs: number;
  readonly loopBuildMs: number;
  readonly matchesPerEvent: number;
}

function run(size: number): Row {
  const generated = Array.from({ length: size }, generatePattern);
  const events = Array.from(
    { length: EVENT_POOL },
    () => generateEvent(pick(generated).witness) as object,
  );

  let started = performance.now();
  const index = new EventPatternIndex<number>();
  generated.forEach(({ pattern }, id) => index.add(id, pattern));
  const indexBuildMs = performance.now() - started;

  started = performance.now();
  const matchers = generated.map(({ pattern }) => compilePattern(pattern));
  const loopBuildMs = performance.now() - started;
  const loop = (event: object): number[] => {
    const ids: number[] = [];
    for (let id = 0; id < matchers.length; id++) if (matchers[id](event)) ids.push(id);
    return ids;
  };

  let matches = 0;
  for (let i = 0; i < CHECKED_EVENTS; i++) {
    const expected = loop(events[i]);
    const actual = index.match(events[i]);
    if (expected.length === 0 || JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(
        `event ${i} at ${size} patterns: the loop says ${JSON.stringify(expected)}, the index ` +
          `${JSON.stringify(actual)}`,
      );
    }
    matches += expected.length;
  }

  const indexMicros = measure(events, (event) => index.match(event).length);
  // Each event matched REPEAT times in a row: what is left once the states and patterns it
  // touches are in the processor's caches.
  const warmMicros =
    measure(events, (event) => {
      let found = 0;
      for (let i = 0; i < REPEAT; i++) found += index.match(event).length;
      return found;
    }) / REPEAT;
  const loopMicros = measure(events, (event) => loop(event).length);
  return {
    patterns: size,
    indexMicros,
    warmMicros,
    loopMicros,
    indexBuildMs,
    loopBuildMs,
    matchesPerEvent: matches / CHECKED_EVENTS,
  };
}

function main(): void {
  const benchStarted = performance.now();
  console.log(machine());
  console.log(
    `Seed ${SEED}; ${int(EVENT_POOL)} events per size, each built to satisfy one pattern drawn ` +
      `at random; median of ${ROUNDS} rounds of at least ${int(ROUND_MS)} ms per measurement.\n`,
  );
  const rows: Row[] = [];
  for (const size of SIZES) {
    const row = run(size);
    rows.push(row);
    console.log(
      `${int(size)} patterns: index ${row.indexMicros.toFixed(2)} µs/event ` +
        `(${row.warmMicros.toFixed(2)} warm), loop ${row.loopMicros.toFixed(2)} µs/event`,
    );
  }
  const perEvent = (micros: number) => (micros < 10 ? micros.toFixed(2) : int(micros));
  console.log(
    '\n' +
      markdownTable(
        [
          'patterns',
          'index events/s',
          'index µs/event',
          'same, warm',
          'loop events/s',
          'loop µs/event',
          'index vs loop',
          'matches/event',
          'index build ms',
          'loop build ms',
        ],
        rows.map((row) => [
          int(row.patterns),
          int(1e6 / row.indexMicros),
          perEvent(row.indexMicros),
          perEvent(row.warmMicros),
          int(1e6 / row.loopMicros),
          perEvent(row.loopMicros),
          `${int(row.loopMicros / row.indexMicros)}×`,
          row.matchesPerEvent.toFixed(2),
          int(row.indexBuildMs),
          int(row.loopBuildMs),
        ]),
      ),
  );
  if (rows.length > 1) {
    const [smallest, largest] = [rows[0], rows[rows.length - 1]];
    const ratio = (of: (row: Row) => number) => of(largest) / of(smallest);
    const index = ratio((row) => row.indexMicros);
    console.log(
      `\nPer-event time at ${int(largest.patterns)} vs ${int(smallest.patterns)} patterns: ` +
        `index ${index.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ` +
        `${index <= TARGET_RATIO ? 'met' : 'missed'}), warm ` +
        `${ratio((row) => row.warmMicros).toFixed(2)}×, loop ${int(ratio((row) => row.loopMicros))}×.`,
    );
  }
  console.log(`Total bench time: ${((performance.now() - benchStarted) / 1_000).toFixed(1)} s.`);
}

main();
