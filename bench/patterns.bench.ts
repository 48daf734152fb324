/**
 * Matching one event against many handler patterns: `EventPatternIndex` against a loop over every
 * pattern's `compilePattern()` matcher, at 10, 1,000 and 10,000 patterns, on parsed events and on
 * JSON text, and against aws/event-ruler on the same rules and events when Java and its jars are
 * there (see `event-ruler/`). Run with `npm run bench` or
 * `npx tsc -b bench && node --expose-gc bench/dist/patterns.bench.js`. Flags: --sizes=<n,n,…>,
 * --ms=<minimum milliseconds per round>, --rounds=<n> (the median is kept), --seed=<n>,
 * --clock=cpu|wall (default cpu: the process's CPU time), --no-loop (skip the loop),
 * --no-event-ruler (skip the peer).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compilePattern,
  EventPatternIndex,
  type EventPattern,
} from '@nestjs-events/event-patterns';
import { int, machine, markdownTable, median, recordResults } from './harness';

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
/**
 * `cpu`: the process's CPU time (all its threads, the garbage collector's included), so that time
 * spent descheduled on a shared machine is not counted; `wall`: the elapsed time.
 */
const CLOCK = args.get('clock') === 'wall' ? 'wall' : 'cpu';
const LOOP = !args.has('no-loop');
const EVENT_RULER = !args.has('no-event-ruler');
/** Distinct events per size that the measurement cycles through (the first of `AGREEMENT_EVENTS`). */
const EVENT_POOL = 2_000;
/** Events per size on which our matches are compared with event-ruler's. */
const AGREEMENT_EVENTS = 10_000;
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
function measure<E>(events: readonly E[], match: (event: E) => number): number {
  let sink = 0;
  // Warm-up: one pass over the pool, so that the JIT has seen the code and every state an event
  // reaches has been reached once (the first reach pays for work done lazily, such as sorting a
  // range table), as in a long-running process.
  for (const event of events) sink += match(event);
  const rounds: number[] = [];
  let position = 0;
  for (let round = 0; round < ROUNDS; round++) {
    collectGarbage();
    // Matching untimed for a while after the collection: its sweeping goes on in other threads,
    // whose CPU time the default clock counts, and costs more the larger the heap.
    const settled = performance.now() + ROUND_MS / 4;
    while (performance.now() < settled) {
      sink += match(events[position]);
      position = (position + 1) % events.length;
    }
    let count = 0;
    const started = clockMs();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      // The clock is read every 64 events, so that reading it costs nothing measurable.
      for (let i = 0; i < 64; i++) {
        sink += match(events[position]);
        position = (position + 1) % events.length;
      }
      count += 64;
      elapsed = clockMs() - started;
    }
    rounds.push((elapsed * 1_000) / count);
  }
  if (sink < 0) console.log(sink);
  return median(rounds);
}

function clockMs(): number {
  if (CLOCK === 'wall') return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

interface Row {
  readonly patterns: number;
  readonly indexMicros: number;
  readonly warmMicros: number;
  /** `index.match(JSON.parse(text))`. */
  readonly jsonMicros: number;
  readonly loopMicros: number | undefined;
  readonly indexBuildMs: number;
  readonly loopBuildMs: number | undefined;
  readonly matchesPerEvent: number;
  readonly peer: PeerResult | undefined;
}

function run(size: number, peerDir: string | undefined): Row {
  const generated = Array.from({ length: size }, generatePattern);
  const events = Array.from(
    { length: AGREEMENT_EVENTS },
    () => generateEvent(pick(generated).witness) as object,
  );
  const pool = events.slice(0, EVENT_POOL);
  const texts = pool.map((event) => JSON.stringify(event));

  let started = performance.now();
  const index = new EventPatternIndex<number>();
  generated.forEach(({ pattern }, id) => index.add(id, pattern));
  const indexBuildMs = performance.now() - started;

  let loopBuildMs: number | undefined;
  let loopMicros: number | undefined;
  let matches = 0;
  if (LOOP) {
    started = performance.now();
    const matchers = generated.map(({ pattern }) => compilePattern(pattern));
    loopBuildMs = performance.now() - started;
    const loop = (event: object): number[] => {
      const ids: number[] = [];
      for (let id = 0; id < matchers.length; id++) if (matchers[id](event)) ids.push(id);
      return ids;
    };
    for (let i = 0; i < CHECKED_EVENTS; i++) {
      const expected = loop(events[i]);
      const actual = index.match(events[i]);
      if (expected.length === 0 || JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(
          `event ${i} at ${size} patterns: the loop says ${JSON.stringify(expected)}, the index ` +
            `${JSON.stringify(actual)}`,
        );
      }
    }
    loopMicros = measure(pool, (event) => loop(event).length);
  }
  for (let i = 0; i < CHECKED_EVENTS; i++) matches += index.match(events[i]).length;

  const indexMicros = measure(pool, (event) => index.match(event).length);
  // Each event matched REPEAT times in a row: what is left once the states and patterns it
  // touches are in the processor's caches.
  const warmMicros =
    measure(pool, (event) => {
      let found = 0;
      for (let i = 0; i < REPEAT; i++) found += index.match(event).length;
      return found;
    }) / REPEAT;
  const jsonMicros = measure(texts, (text) => index.match(JSON.parse(text)).length);
  const peer = peerDir ? runPeer(peerDir, generated, events, index) : undefined;
  return {
    patterns: size,
    indexMicros,
    warmMicros,
    jsonMicros,
    loopMicros,
    indexBuildMs,
    loopBuildMs,
    matchesPerEvent: matches / CHECKED_EVENTS,
    peer,
  };
}

// --- aws/event-ruler on the same rules and events -----------------------------------------------

const PEER_SOURCE = join(__dirname, '..', 'event-ruler');

interface PeerFigures {
  readonly rules: number;
  readonly buildMs: number;
  readonly textMicros: number;
  readonly parsedMicros: number;
  readonly java: string;
}

interface PeerResult extends PeerFigures {
  /** (event, rule) pairs one side matches and the other does not, over `AGREEMENT_EVENTS`. */
  readonly onlyOurs: number;
  readonly onlyTheirs: number;
  readonly eventsDiffering: number;
  /** Pairs explained by a difference documented in the package README, by reason. */
  readonly explained: ReadonlyMap<string, number>;
  readonly examples: readonly string[];
}

/**
 * Compiles the Java harness into a fresh directory; undefined, with the reason printed, when Java
 * or the jars are missing. The jars come from Maven Central through `mvn` when it is installed.
 */
function preparePeer(): string | undefined {
  if (!EVENT_RULER) return undefined;
  const skip = (why: string): undefined => {
    console.log(`event-ruler peer skipped: ${why}.\n`);
    return undefined;
  };
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' });
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    return skip('javac and java (JDK 11 or later) are not on the PATH');
  }
  const lib = join(PEER_SOURCE, 'lib');
  if (!existsSync(join(lib, 'event-ruler-2.1.0.jar'))) {
    try {
      execFileSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], {
        cwd: PEER_SOURCE,
        stdio: 'ignore',
      });
    } catch {
      return skip(
        `the jars are not in ${lib} and mvn could not fetch them (run ` +
          '`mvn dependency:copy-dependencies -DoutputDirectory=lib` in bench/event-ruler)',
      );
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'event-ruler-peer-'));
  try {
    execFileSync(
      'javac',
      ['-cp', join(lib, '*'), '-d', dir, join(PEER_SOURCE, 'EventRulerPeer.java')],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return skip('EventRulerPeer.java did not compile');
  }
  return dir;
}

function runPeer(
  dir: string,
  generated: readonly Generated[],
  events: readonly object[],
  index: EventPatternIndex<number>,
): PeerResult {
  const rulesFile = join(dir, 'rules.jsonl');
  const eventsFile = join(dir, 'events.jsonl');
  const matchesFile = join(dir, 'matches.txt');
  writeFileSync(rulesFile, generated.map(({ pattern }) => JSON.stringify(pattern)).join('\n'));
  writeFileSync(eventsFile, events.map((event) => JSON.stringify(event)).join('\n'));
  const output = execFileSync(
    'java',
    [
      '-cp',
      `${dir}:${join(PEER_SOURCE, 'lib', '*')}`,
      'EventRulerPeer',
      rulesFile,
      eventsFile,
      matchesFile,
      String(EVENT_POOL),
      String(ROUND_MS),
      String(ROUNDS),
      CLOCK,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const figures = JSON.parse(output.trim().split('\n').pop()!) as PeerFigures;
  const theirs = readFileSync(matchesFile, 'utf8').split('\n');
  let onlyOurs = 0;
  let onlyTheirs = 0;
  let eventsDiffering = 0;
  const explained = new Map<string, number>();
  const examples: string[] = [];
  events.forEach((event, e) => {
    const ours = new Set(index.match(event));
    const their = new Set(theirs[e] ? theirs[e].split(' ').map(Number) : []);
    const differing = [
      ...[...ours].filter((id) => !their.has(id)).map((id) => ['ours', id] as const),
      ...[...their].filter((id) => !ours.has(id)).map((id) => ['theirs', id] as const),
    ];
    if (differing.length > 0) eventsDiffering++;
    for (const [side, id] of differing) {
      if (side === 'ours') onlyOurs++;
      else onlyTheirs++;
      const reason = knownDifference(generated[id].pattern, event, side);
      if (reason) explained.set(reason, (explained.get(reason) ?? 0) + 1);
      else if (examples.length < 5) {
        examples.push(
          `event ${e}, rule ${id}, matched by ${side} only: ${JSON.stringify(generated[id].pattern)}`,
        );
      }
    }
  });
  return { ...figures, onlyOurs, onlyTheirs, eventsDiffering, explained, examples };
}

/**
 * Which documented difference (see the package README) explains a pair matched by one side only:
 * event-ruler compares numbers beyond EventBridge's limits, and passes over an `$or` alternative
 * that repeats a value of an earlier one.
 */
function knownDifference(pattern: EventPattern, event: object, side: 'ours' | 'theirs'): string {
  if (side === 'theirs' && JSON.stringify(pattern).includes('"numeric"')) {
    const beyond = (value: unknown): boolean =>
      typeof value === 'number'
        ? Math.abs(value) > 5e9 || Math.abs(value * 1e6 - Math.round(value * 1e6)) > 1e-6
        : typeof value === 'object' && value !== null && Object.values(value).some(beyond);
    if (beyond(event)) return 'numbers beyond ±5e9 or 6 decimals';
  }
  if (side === 'ours' && '$or' in pattern) return '$or alternatives sharing a value';
  return '';
}

/**
 * Where the two knowingly differ (see the package README), each rule with events on both sides of
 * the line; the bench prints who matches what.
 */
const EDGE_CASES: readonly { rule: EventPattern; events: readonly object[] }[] = [
  { rule: { n: [{ numeric: ['>', 0] }] }, events: [{ n: 5e9 }, { n: 6e9 }, { n: 1e-7 }] },
  { rule: { n: [{ numeric: ['<', 2] }] }, events: [{ n: 1.234567 }, { n: 1.2345678 }] },
  {
    rule: { $or: [{ status: ['NEW', 'CANCELLED'] }, { status: ['NEW', 'REFUNDED'] }] },
    events: [{ status: 'NEW' }, { status: 'CANCELLED' }, { status: 'REFUNDED' }],
  },
];

/** The edge cases through both sides: one line per (rule, event), marked where they differ. */
function runEdgeCases(dir: string): string[] {
  const rulesFile = join(dir, 'edge-rules.jsonl');
  const eventsFile = join(dir, 'edge-events.jsonl');
  const matchesFile = join(dir, 'edge-matches.txt');
  const events = EDGE_CASES.flatMap((edge) => edge.events);
  writeFileSync(rulesFile, EDGE_CASES.map((edge) => JSON.stringify(edge.rule)).join('\n'));
  writeFileSync(eventsFile, events.map((event) => JSON.stringify(event)).join('\n'));
  execFileSync(
    'java',
    [
      '-cp',
      `${dir}:${join(PEER_SOURCE, 'lib', '*')}`,
      'EventRulerPeer',
      rulesFile,
      eventsFile,
      matchesFile,
      '0',
      '0',
      '0',
    ],
    { stdio: 'ignore' },
  );
  const theirs = readFileSync(matchesFile, 'utf8').split('\n');
  const index = new EventPatternIndex<number>();
  EDGE_CASES.forEach((edge, id) => index.add(id, edge.rule));
  const lines: string[] = [];
  let e = 0;
  EDGE_CASES.forEach((edge, id) => {
    for (const event of edge.events) {
      const ours = index.match(event).includes(id);
      const their = (theirs[e++] ? theirs[e - 1].split(' ').map(Number) : []).includes(id);
      lines.push(
        `${ours === their ? ' ' : '≠'} ${JSON.stringify(edge.rule)} vs ${JSON.stringify(event)}: ` +
          `ours ${ours ? 'matches' : 'does not match'}, event-ruler ` +
          `${their ? 'matches' : 'does not match'}`,
      );
    }
  });
  return lines;
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const recording = recordResults('patterns', ['--clock=cpu']);
  console.log(machine());
  console.log(
    `Seed ${SEED}; ${int(EVENT_POOL)} events per size, each built to satisfy one pattern drawn ` +
      `at random; median of ${ROUNDS} rounds of at least ${int(ROUND_MS)} ms per measurement, ` +
      `on ${CLOCK === 'cpu' ? "the process's CPU time" : 'the wall clock'} (--clock=${CLOCK}).\n`,
  );
  const peerDir = preparePeer();
  const rows: Row[] = [];
  let edgeLines: string[] = [];
  try {
    if (peerDir) edgeLines = runEdgeCases(peerDir);
    for (const size of SIZES) {
      const row = run(size, peerDir);
      rows.push(row);
      console.log(
        `${int(size)} patterns: index ${row.indexMicros.toFixed(2)} µs/event ` +
          `(${row.warmMicros.toFixed(2)} warm, ${row.jsonMicros.toFixed(2)} from JSON text)` +
          (row.loopMicros === undefined ? '' : `, loop ${row.loopMicros.toFixed(2)} µs/event`) +
          (row.peer
            ? `, event-ruler ${row.peer.parsedMicros.toFixed(2)} ` +
              `(${row.peer.textMicros.toFixed(2)} from JSON text)`
            : ''),
      );
    }
  } finally {
    if (peerDir) rmSync(peerDir, { recursive: true, force: true });
  }
  const perEvent = (micros: number | undefined) =>
    micros === undefined ? '–' : micros < 10 ? micros.toFixed(2) : int(micros);
  const times = (ratio: number) => `${ratio < 10 ? ratio.toFixed(2) : int(ratio)}×`;
  console.log(
    '\n' +
      markdownTable(
        [
          'patterns',
          'index events/s',
          'index µs/event',
          'same, warm',
          'from JSON text µs/event',
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
          perEvent(row.jsonMicros),
          perEvent(row.loopMicros),
          row.loopMicros === undefined ? '–' : times(row.loopMicros / row.indexMicros),
          row.matchesPerEvent.toFixed(2),
          int(row.indexBuildMs),
          row.loopBuildMs === undefined ? '–' : int(row.loopBuildMs),
        ]),
      ),
  );
  if (rows.length > 1) {
    const [smallest, largest] = [rows[0], rows[rows.length - 1]];
    const ratio = (of: (row: Row) => number) => of(largest) / of(smallest);
    const verdict = (value: number) =>
      `${value.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${value <= TARGET_RATIO ? 'met' : 'missed'})`;
    console.log(
      `\nPer-event time at ${int(largest.patterns)} vs ${int(smallest.patterns)} patterns: ` +
        `parsed ${verdict(ratio((row) => row.indexMicros))}, JSON text ` +
        `${verdict(ratio((row) => row.jsonMicros))}; warm ` +
        `${ratio((row) => row.warmMicros).toFixed(2)}×` +
        (largest.loopMicros && smallest.loopMicros
          ? `; the loop ${int(largest.loopMicros / smallest.loopMicros)}×.`
          : '.'),
    );
  }
  const peered = rows.filter((row) => row.peer);
  if (peered.length > 0) {
    console.log(
      `\naws/event-ruler 2.1.0 (Java ${peered[0].peer!.java}, \`rulesForJSONEvent\` on a String ` +
        'and on a Jackson JsonNode), same rules and events, in the same run:\n\n' +
        markdownTable(
          [
            'rules',
            'ours parsed events/s',
            'event-ruler JsonNode events/s',
            'ours vs event-ruler, parsed',
            'ours JSON text events/s',
            'event-ruler String events/s',
            'ours vs event-ruler, JSON text',
            'event-ruler build ms',
          ],
          peered.map((row) => {
            const peer = row.peer!;
            return [
              int(row.patterns),
              int(1e6 / row.indexMicros),
              int(1e6 / peer.parsedMicros),
              times(peer.parsedMicros / row.indexMicros),
              int(1e6 / row.jsonMicros),
              int(1e6 / peer.textMicros),
              times(peer.textMicros / row.jsonMicros),
              int(peer.buildMs),
            ];
          }),
        ),
    );
    console.log(
      `\nAgreement on ${int(AGREEMENT_EVENTS)} events per size, (event, rule) pairs matched by ` +
        'one side only:\n\n' +
        markdownTable(
          [
            'rules',
            'events differing',
            'ours only',
            'event-ruler only',
            'explained',
            'unexplained',
          ],
          peered.map((row) => {
            const peer = row.peer!;
            const explained = [...peer.explained].map(([why, n]) => `${int(n)} ${why}`);
            const count = [...peer.explained.values()].reduce((sum, n) => sum + n, 0);
            return [
              int(row.patterns),
              int(peer.eventsDiffering),
              int(peer.onlyOurs),
              int(peer.onlyTheirs),
              explained.join('; ') || '0',
              int(peer.onlyOurs + peer.onlyTheirs - count),
            ];
          }),
        ),
    );
    for (const row of peered) {
      for (const example of row.peer!.examples)
        console.log(`  ${int(row.patterns)} rules: ${example}`);
    }
    console.log(
      '\nWhere the two knowingly differ (packages/event-patterns/README.md):\n' +
        edgeLines.map((line) => `  ${line}`).join('\n'),
    );
  }
  console.log(`Total bench time: ${((performance.now() - benchStarted) / 1_000).toFixed(1)} s.`);
  await recording.write();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
