import { Injectable, type Type } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  NonRetryableError,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import { compilePattern, EventPatternIndex } from '@nestjs-events/event-patterns';
import { ThingHappened, ThingHappenedV1, ThingNoted } from './fixtures/events';
import { createTestApp, type TestApp } from './fixtures/create-app';

const HANDLERS = 50;

/** Handler `i` takes the things of size i to i + 2: three of them match a size below 48. */
const patternOf = (i: number) => ({ data: { size: [{ numeric: ['>=', i, '<', i + 3] }] } });

/** Handler name and size of each run, in order. */
const runs: Array<[string, number]> = [];
/** Handlers that throw once, then succeed. */
const flaky = new Set<string>();

function sizedHandler(i: number): Type {
  const name = `Sized${i}`;
  class Sized {
    onThing(event: EventOf<typeof ThingHappened>): void {
      runs.push([`${name}.onThing`, event.data.size]);
      if (flaky.delete(`${name}.onThing`)) throw new Error('flaky');
    }
  }
  Object.defineProperty(Sized, 'name', { value: name });
  const method = Object.getOwnPropertyDescriptor(Sized.prototype, 'onThing')!;
  EventHandler(ThingHappened, { pattern: patternOf(i) })(Sized.prototype, 'onThing', method);
  Injectable()(Sized);
  return Sized;
}

@Injectable()
class Unfiltered {
  @EventHandler(ThingHappened)
  onThing(event: EventOf<typeof ThingHappened>): void {
    runs.push(['Unfiltered.onThing', event.data.size]);
  }

  /** No definition: sees the event as published, version 1 included. */
  @EventHandler('thing.*', { pattern: { version: [1] } })
  onAnyV1(event: EventEnvelope): void {
    runs.push(['Unfiltered.onAnyV1', (event.data as { size?: number }).size ?? -1]);
    if (event.type === 'thing.noted') throw new NonRetryableError('not this one');
  }
}

describe('dispatching to many patterned handlers of one type (in-memory transport)', () => {
  let current: TestApp;
  let match: jest.SpyInstance;

  beforeEach(async () => {
    runs.length = 0;
    flaky.clear();
    match = jest.spyOn(EventPatternIndex.prototype, 'match');
    current = await createTestApp({
      providers: [Unfiltered, ...Array.from({ length: HANDLERS }, (_, i) => sizedHandler(i))],
    });
  });

  afterEach(async () => {
    await current.app.close();
    jest.restoreAllMocks();
  });

  it('runs the handlers whose pattern matches the upcast event, and reports the others as filtered', async () => {
    const { app, probe } = current;
    flaky.add('Sized11.onThing');
    const events = [
      ThingHappened.create({ name: 'a', size: 12 }),
      ThingHappened.create({ name: 'b', size: 1 }),
      ThingHappened.create({ name: 'c', size: 500 }),
      // Size 0 once upcast.
      ThingHappenedV1.create({ name: 'legacy' }),
    ];
    await app.get(EventBus).publishAll(events);
    await probe.waitForIdle();

    const expected = events.flatMap((event): Array<[string, number]> => {
      const size = 'size' in event.data ? (event.data.size as number) : 0;
      const sized = Array.from({ length: HANDLERS }, (_, i) => i)
        .filter((i) => compilePattern(patternOf(i))({ data: { size } }))
        .map((i): [string, number] => [`Sized${i}.onThing`, size]);
      return [...sized, ['Unfiltered.onThing', size]];
    });
    const sorted = (list: Array<[string, number]>) =>
      [...list].sort(([a, x], [b, y]) => x - y || a.localeCompare(b));
    // Sized11 ran twice for size 12: it failed once and was retried.
    expect(sorted(runs.filter(([handler]) => handler !== 'Unfiltered.onAnyV1'))).toEqual(
      sorted([...expected, ['Sized11.onThing', 12]]),
    );
    expect(runs).toContainEqual(['Unfiltered.onAnyV1', -1]);
    expect(probe.handled.filter((n) => n.handler === 'Sized11.onThing')).toEqual([
      expect.objectContaining({ attempt: 2 }),
    ]);

    const filtered = probe.of('skipped').filter((n) => n.reason === 'filtered');
    // 50 sized handlers per event, 3 + 2 + 0 + 1 of which matched; onAnyV1 skips the v2 events.
    expect(filtered).toHaveLength(4 * HANDLERS - 6 + 3);
    // Reported with the event as the handler would have seen it.
    const legacy = filtered.find(
      (n) =>
        n.handler === 'Sized40.onThing' && (n.event.data as { name: string }).name === 'legacy',
    );
    expect(legacy?.event).toMatchObject({ version: 2, data: { size: 0 } });
    expect(probe.deadLettered).toHaveLength(0);
    // One lookup per event for the sized handlers, not one pattern test per handler.
    expect(match).toHaveBeenCalledTimes(events.length);
  });

  it('keeps a failure to one handler', async () => {
    const { app, probe } = current;
    await app.get(EventBus).publish(ThingNoted.create({ note: 'n' }));
    await probe.waitForIdle();
    expect(probe.deadLettered.map((n) => n.handler)).toEqual(['Unfiltered.onAnyV1']);
    expect(runs).toEqual([['Unfiltered.onAnyV1', -1]]);
  });
});
