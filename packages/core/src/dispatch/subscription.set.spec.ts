import { Logger } from '@nestjs/common';
import {
  compilePattern,
  EventPatternIndex,
  type EventPattern,
} from '@nestjs-events/event-patterns';
import { z } from 'zod';
import { defineEvent } from '../definition/define-event';
import type { EventDefinition } from '../definition/event-definition.interface';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type {
  EventNotification,
  EventScopedNotification,
} from '../monitor/event-notification.interface';
import type { EventsMonitor } from '../monitor/events.monitor';
import { RetryPolicy } from '../retry/retry-policy';
import { compileTypeMatcher } from '../selectors/event-type-matcher';
import type {
  DeliveryInfo,
  DeliveryOutcome,
  EventSubscription,
} from '../transport/transport.interface';
import { EventDispatcher } from './event.dispatcher';
import { OutcomeReporter } from './outcome.reporter';
import { StuckHandlers } from './stuck-handlers';
import {
  INDEX_PATTERNS_FROM,
  SubscriptionSet,
  type SubscriptionSetOptions,
} from './subscription.set';

const ThingV1 = defineEvent({
  type: 'thing.happened',
  version: 1,
  schema: z.object({ name: z.string() }),
});
/** Version 2 adds `size`, which only an upcast version 1 event has. */
const Thing = defineEvent({
  type: 'thing.happened',
  version: 2,
  schema: z.object({ name: z.string(), size: z.number().int().nonnegative() }),
  upcasters: { 1: (v1: { name: string }) => ({ ...v1, size: v1.name.length }) },
});
/** Checks asynchronously, as some Standard Schema validators do. */
const ThingAsync = defineEvent({
  type: 'thing.happened',
  version: 2,
  schema: z
    .object({ name: z.string(), size: z.number() })
    .refine(async () => Promise.resolve(true)),
});

interface Run {
  readonly handler: string;
  readonly event: EventEnvelope;
  readonly attempt: number;
}

/** One application's worth of handlers, built as SubscriptionFactory builds them. */
class Fixture {
  readonly runs: Run[] = [];
  readonly notifications: EventScopedNotification[] = [];
  readonly subscriptions: EventSubscription[] = [];
  readonly monitor: EventsMonitor;
  failing = new Set<string>();

  constructor(observed = true) {
    this.monitor = {
      observed,
      notify: (n: EventNotification) => this.notifications.push(n as EventScopedNotification),
    } as unknown as EventsMonitor;
  }

  handler(
    handler: string,
    {
      pattern,
      definition,
      selector = 'thing.happened',
    }: { pattern?: EventPattern; definition?: EventDefinition; selector?: string } = {},
  ): this {
    const retry = new RetryPolicy({ maxAttempts: 2, baseDelayMs: 100 }, () => 0.999999);
    this.subscriptions.push(
      new EventDispatcher({
        handler,
        eventTypes: [selector],
        matchers: [compileTypeMatcher(selector)],
        definitions: new Map(definition ? [[definition.type, definition]] : []),
        filter: pattern && compilePattern(pattern),
        filterPattern: pattern,
        invoke: (event, context) => {
          this.runs.push({ handler, event, attempt: context.attempt });
          if (this.failing.has(handler)) throw new Error(`${handler} failed`);
        },
        outcome: new OutcomeReporter(handler, retry, this.monitor),
        timeoutMs: Infinity,
        stuck: new StuckHandlers(),
      }),
    );
    return this;
  }

  /** Handlers numbered from `from`, each with a pattern of its own on `data.size`. */
  sized(count: number, definition?: EventDefinition, from = 0): this {
    for (let i = from; i < from + count; i++) {
      this.handler(`Sized.on${i}`, {
        definition,
        pattern: { data: { size: [{ numeric: ['>=', i, '<', i + 3] }] } },
      });
    }
    return this;
  }
}

interface Dispatched {
  readonly handlers: string[];
  readonly outcomes: DeliveryOutcome[];
}

async function dispatch(
  set: SubscriptionSet,
  event: EventEnvelope,
  delivery: DeliveryInfo = { attempt: 1 },
): Promise<Dispatched> {
  const started: Promise<DeliveryOutcome>[] = [];
  const handlers: string[] = [];
  const count = set.dispatch(event, delivery, (outcome, subscription, given) => {
    expect(given).toBe(event);
    started.push(outcome);
    handlers.push(subscription.handler);
  });
  expect(count).toBe(started.length);
  expect(handlers).toEqual(set.for(event.type).map((s) => s.handler));
  return { handlers, outcomes: await Promise.all(started) };
}

/** Everything observable of dispatching `events` through a fresh fixture, with or without index. */
async function observe(
  build: (fixture: Fixture) => Fixture,
  events: readonly EventEnvelope[],
  options: SubscriptionSetOptions,
  delivery?: DeliveryInfo,
) {
  const fixture = build(new Fixture());
  const set = new SubscriptionSet(fixture.subscriptions, options);
  const dispatched: Dispatched[] = [];
  for (const event of events) dispatched.push(await dispatch(set, event, delivery));
  return {
    dispatched,
    runs: fixture.runs.map(({ event, ...run }) => ({ ...run, event: seen(event) })),
    notifications: fixture.notifications.map(({ event, ...rest }): Record<string, unknown> => {
      const { durationMs, error, ...notification } = rest as Record<string, unknown>;
      return {
        ...notification,
        event: seen(event),
        timed: typeof durationMs === 'number',
        error: error === undefined ? undefined : (error as Error).message,
      };
    }),
  };
}

/** What a handler sees of an event, without what is private to this process. */
function seen({ id, type, version, data }: EventEnvelope) {
  return { id, type, version, data };
}

type Observed = Awaited<ReturnType<typeof observe>>;

const INDEXED: SubscriptionSetOptions = { indexFrom: 2 };
const LOOP: SubscriptionSetOptions = { indexFrom: Infinity };

function things(): EventEnvelope[] {
  return [
    Thing.create({ name: 'a', size: 0 }),
    Thing.create({ name: 'b', size: 4 }),
    Thing.create({ name: 'c', size: 30 }),
    // Sizes 5 and 1 only once upcast.
    ThingV1.create({ name: 'fiver' }),
    ThingV1.create({ name: 'x' }),
  ];
}

describe('SubscriptionSet', () => {
  let match: jest.SpyInstance;

  beforeEach(() => {
    match = jest.spyOn(EventPatternIndex.prototype, 'match');
    for (const level of ['error', 'warn', 'debug'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
    }
  });

  afterEach(() => jest.restoreAllMocks());

  it('dispatches as handing the event to every handler would, with the index or without', async () => {
    const build = (fixture: Fixture) =>
      fixture
        .handler('Plain.onThing', { definition: Thing })
        .sized(10, Thing)
        .handler('Any.onThing', { selector: 'thing.*' })
        .sized(3, undefined, 20)
        .handler('Raw.onThing', { selector: 'thing.*', pattern: { data: { size: [4] } } })
        .sized(8, undefined, 3)
        .handler('Other.onThing', { selector: 'other.thing' });
    const events = things();

    const loop = await observe(build, events, LOOP);
    expect(match).not.toHaveBeenCalled();
    const indexed = await observe(build, events, INDEXED);

    expect(indexed).toEqual(loop);
    // One lookup per event for each definition with enough patterns: `Thing` and none.
    expect(match).toHaveBeenCalledTimes(events.length * 2);
    // Upcast before matching: "fiver" has size 5 as version 2, and no size as version 1.
    const fiver = indexed.runs.filter(
      (run) => (run.event.data as { name: string }).name === 'fiver',
    );
    expect(fiver.map((run) => run.handler)).toEqual([
      'Plain.onThing',
      'Sized.on3',
      'Sized.on4',
      'Sized.on5',
      'Any.onThing',
    ]);
    expect(fiver[1].event).toMatchObject({ version: 2, data: { size: 5 } });
    expect(indexed.dispatched[3].outcomes.filter((o) => o.status === 'handled')).toHaveLength(5);
  });

  it('reports each handler that the index leaves out as filtered, with the event it would have seen', async () => {
    const fixture = new Fixture().sized(10, Thing);
    const set = new SubscriptionSet(fixture.subscriptions, INDEXED);

    const { outcomes } = await dispatch(set, ThingV1.create({ name: 'abcd' }));

    expect(outcomes.map((o) => o.status)).toEqual([
      'skipped',
      'skipped',
      'handled',
      'handled',
      'handled',
      ...Array<string>(5).fill('skipped'),
    ]);
    const skipped = fixture.notifications.filter((n) => n.kind === 'skipped');
    expect(skipped).toHaveLength(7);
    expect(skipped[0]).toEqual({
      kind: 'skipped',
      handler: 'Sized.on0',
      reason: 'filtered',
      event: expect.objectContaining({ version: 2, data: { name: 'abcd', size: 4 } }) as unknown,
    });
  });

  it('hands each matching handler its own prepared copy, as without the index', async () => {
    const fixture = new Fixture().sized(10, Thing);
    const set = new SubscriptionSet(fixture.subscriptions, INDEXED);

    await dispatch(set, ThingV1.create({ name: 'abcd' }));

    const [first, second] = fixture.runs;
    expect(first.event).toEqual(second.event);
    expect(first.event).not.toBe(second.event);
  });

  it('builds no notification when no one listens', async () => {
    const fixture = new Fixture(false).sized(10, Thing);
    const notify = jest.spyOn(fixture.monitor, 'notify');
    const set = new SubscriptionSet(fixture.subscriptions, INDEXED);

    const { outcomes } = await dispatch(set, Thing.create({ name: 'a', size: 50 }));

    expect(outcomes.every((o) => o.status === 'skipped')).toBe(true);
    expect(notify).not.toHaveBeenCalled();
  });

  it('lets every handler fail on its own when the event does not validate', async () => {
    const build = (fixture: Fixture) => fixture.sized(10, Thing);
    const invalid = { ...Thing.create({ name: 'a', size: 1 }), data: { name: 'a', size: -1 } };

    const indexed = await observe(build, [invalid], INDEXED);

    expect(indexed).toEqual(await observe(build, [invalid], LOOP));
    expect(indexed.dispatched[0].outcomes.map((o) => o.status)).toEqual(
      Array<string>(10).fill('dead-letter'),
    );
    expect(indexed.runs).toEqual([]);
  });

  it('waits for asynchronous validation before looking up', async () => {
    const build = (fixture: Fixture) => fixture.sized(10, ThingAsync);
    const events = [
      ThingAsync.create({ name: 'a', size: 2 }),
      { ...ThingAsync.create({ name: 'a', size: 2 }), data: { name: 'a' } },
    ];

    const indexed = await observe(build, events, INDEXED);
    const loop = await observe(build, events, LOOP);

    // Matching handlers validate once the lookup is done: their notifications come later.
    const byHandler = (notifications: Observed['notifications']) =>
      [...notifications].sort((a, b) => String(a.handler).localeCompare(String(b.handler)));
    expect(byHandler(indexed.notifications)).toEqual(byHandler(loop.notifications));
    expect({ ...indexed, notifications: [] }).toEqual({ ...loop, notifications: [] });
    expect(indexed.runs.map((run) => run.handler)).toEqual(['Sized.on0', 'Sized.on1', 'Sized.on2']);
    expect(indexed.dispatched[1].outcomes.every((o) => o.status === 'dead-letter')).toBe(true);
    expect(match).toHaveBeenCalledTimes(1);
  });

  it('keeps retries and attempts per handler', async () => {
    const build = (fixture: Fixture) => {
      fixture.failing.add('Sized.on1');
      return fixture.sized(10, Thing);
    };
    const event = Thing.create({ name: 'a', size: 2 });

    const indexed = await observe(build, [event, event], INDEXED, { attempt: 2 });

    expect(indexed).toEqual(await observe(build, [event, event], LOOP, { attempt: 2 }));
    expect(indexed.dispatched[0].outcomes.slice(0, 3).map((o) => o.status)).toEqual([
      'handled',
      'dead-letter',
      'handled',
    ]);
    expect(indexed.runs.every((run) => run.attempt === 2)).toBe(true);
  });

  it('trusts what the bus validated, as a handler does', async () => {
    const build = (fixture: Fixture) => fixture.sized(10, Thing);
    const validate = jest.spyOn(Thing, 'validate');
    const published = Thing.create({ name: 'a', size: 5 });

    const trusted = { attempt: 1, trusted: true };

    const indexed = await observe(build, [published], INDEXED, trusted);

    expect(indexed).toEqual(await observe(build, [published], LOOP, trusted));
    expect(validate).not.toHaveBeenCalled();
    const fixture = build(new Fixture());
    await dispatch(new SubscriptionSet(fixture.subscriptions, INDEXED), published, trusted);
    expect(fixture.runs.map((run) => run.event)).toEqual([published, published, published]);
    expect(fixture.runs.every((run) => run.event === published)).toBe(true);
  });

  describe('threshold', () => {
    it(`looks up from ${INDEX_PATTERNS_FROM} patterned handlers of one definition by default`, async () => {
      const below = new Fixture().sized(INDEX_PATTERNS_FROM - 1, Thing).handler('Plain.onThing');
      await dispatch(
        new SubscriptionSet(below.subscriptions),
        Thing.create({ name: 'a', size: 1 }),
      );
      expect(match).not.toHaveBeenCalled();

      const at = new Fixture().sized(INDEX_PATTERNS_FROM, Thing);
      await dispatch(new SubscriptionSet(at.subscriptions), Thing.create({ name: 'a', size: 1 }));
      expect(match).toHaveBeenCalledTimes(1);
    });

    it('counts handlers that see different definitions apart', async () => {
      const fixture = new Fixture().sized(4, Thing).sized(4, undefined, 4);
      const set = new SubscriptionSet(fixture.subscriptions, { indexFrom: 5 });
      await dispatch(set, Thing.create({ name: 'a', size: 1 }));
      expect(match).not.toHaveBeenCalled();
    });

    it.each([4, 5, 6])('agrees with the loop at %i handlers for an index from 5', async (count) => {
      const build = (fixture: Fixture) => fixture.sized(count, Thing).handler('Plain.onThing');
      const events = things();
      const indexed = await observe(build, events, { indexFrom: 5 });
      expect(indexed).toEqual(await observe(build, events, LOOP));
      expect(match).toHaveBeenCalledTimes(count >= 5 ? events.length : 0);
    });
  });

  describe('for()', () => {
    it('answers the subscriptions that take a type, in order', () => {
      const fixture = new Fixture()
        .handler('A.onAny', { selector: 'thing.*' })
        .handler('B.onOther', { selector: 'other.thing' })
        .handler('C.onThing');
      const set = new SubscriptionSet(fixture.subscriptions);
      expect(set.for('thing.happened').map((s) => s.handler)).toEqual(['A.onAny', 'C.onThing']);
      expect(set.for('unknown.type')).toEqual([]);
    });

    it('asks no subscription when the transport routed the event', async () => {
      const fixture = new Fixture().handler('B.onOther', { selector: 'other.thing' });
      const matches = jest.spyOn(fixture.subscriptions[0], 'matches');
      const set = new SubscriptionSet(fixture.subscriptions, { routed: true });
      expect(set.for('thing.happened')).toEqual(fixture.subscriptions);
      const { outcomes } = await dispatch(set, Thing.create({ name: 'a', size: 1 }));
      expect(outcomes).toEqual([{ status: 'handled' }]);
      expect(matches).not.toHaveBeenCalled();
    });

    it('hands the event to subscriptions of other transports as they are', async () => {
      const handle = jest.fn(() => Promise.resolve<DeliveryOutcome>({ status: 'handled' }));
      const foreign: EventSubscription = {
        handler: 'Foreign.onThing',
        eventTypes: ['thing.happened'],
        pattern: { data: { size: [1000] } },
        matches: (type) => type === 'thing.happened',
        handle,
      };
      const fixture = new Fixture().sized(10, Thing);
      const set = new SubscriptionSet([foreign, ...fixture.subscriptions], INDEXED);
      const event = Thing.create({ name: 'a', size: 1 });
      const { outcomes } = await dispatch(set, event, { attempt: 3 });
      expect(handle).toHaveBeenCalledWith(event, { attempt: 3 });
      expect(outcomes[0]).toEqual({ status: 'handled' });
    });
  });
});
