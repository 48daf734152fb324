import { Logger } from '@nestjs/common';
import { EventEmitter2 } from 'eventemitter2';
import { TransportStoppedError } from '../errors/transport-stopped.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';
import { InMemoryTransport } from './in-memory.transport';
import type { DeliveryInfo, DeliveryOutcome, EventSubscription } from './transport.interface';

type Handle = (event: EventEnvelope, delivery: DeliveryInfo) => Promise<DeliveryOutcome>;

const HANDLED: DeliveryOutcome = { status: 'handled' };

let sequence = 0;
function event(type: string): EventEnvelope {
  sequence++;
  return {
    id: `e-${sequence}`,
    type,
    version: 1,
    source: 'test',
    occurredAt: '2024-01-01T00:00:00.000Z',
    data: { sequence },
    metadata: { correlationId: `e-${sequence}` },
  };
}

function subscription(
  eventTypes: string[],
  handle: Handle = () => Promise.resolve(HANDLED),
  handler = 'Test.handle',
): EventSubscription & { handle: jest.Mock<ReturnType<Handle>, Parameters<Handle>> } {
  return {
    handler,
    eventTypes,
    matches: (type) => eventTypes.includes(type),
    handle: jest.fn(handle),
  };
}

/** Outcomes in order, one per delivery; `handled` once they run out. */
function outcomes(...list: DeliveryOutcome[]): Handle {
  return () => Promise.resolve(list.shift() ?? HANDLED);
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending microtask and immediate run (not a timed sleep). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` has settled once pending work has had a chance to run. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await flush();
  return settled;
}

function typesOf(sub: { handle: jest.Mock }): string[] {
  return sub.handle.mock.calls.map(([e]) => (e as EventEnvelope).type);
}

describe('InMemoryTransport', () => {
  let transport: InMemoryTransport;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    transport = new InMemoryTransport();
  });

  afterEach(async () => {
    jest.useRealTimers();
    await transport.stop({ deadlineMs: 0 });
    jest.restoreAllMocks();
  });

  it('is named "memory" unless told otherwise', () => {
    expect(transport.name).toBe('memory');
    expect(new InMemoryTransport({ name: 'local' }).name).toBe('local');
  });

  describe('delivery', () => {
    it('delivers asynchronously: the handler never runs inside publish', async () => {
      const sub = subscription(['order.created']);
      transport.subscribe(sub);
      await transport.start();
      const created = event('order.created');

      const published = transport.publish([created]);
      expect(sub.handle).not.toHaveBeenCalled();
      await published;
      await transport.whenIdle();

      expect(sub.handle).toHaveBeenCalledTimes(1);
      expect(sub.handle).toHaveBeenCalledWith(created, { attempt: 1, trusted: true });
    });

    it('delivers only the types a subscription selects, including wildcards', async () => {
      const exact = subscription(['order.created']);
      const oneSegment = subscription(['order.*']);
      const anyDepth = subscription(['billing.**']);
      const firstSegment = subscription(['*.created']);
      for (const sub of [exact, oneSegment, anyDepth, firstSegment]) transport.subscribe(sub);
      await transport.start();

      await transport.publish(
        ['order.created', 'order.cancelled', 'billing.invoice.paid', 'user.created', 'other'].map(
          event,
        ),
      );
      await transport.whenIdle();

      expect(typesOf(exact)).toEqual(['order.created']);
      expect(typesOf(oneSegment)).toEqual(['order.created', 'order.cancelled']);
      expect(typesOf(anyDepth)).toEqual(['billing.invoice.paid']);
      expect(typesOf(firstSegment)).toEqual(['order.created', 'user.created']);
    });

    it('delivers every type a wildcard takes, past the types whose listeners it keeps', async () => {
      const oneSegment = subscription(['order.*']);
      transport.subscribe(oneSegment);
      await transport.start();
      const types = Array.from({ length: MAX_CACHED_TYPES + 100 }, (_, i) => `order.kind-${i}`);

      await transport.publish(types.map(event));
      await transport.publish(types.map(event));
      await transport.whenIdle();

      expect(typesOf(oneSegment)).toEqual([...types, ...types]);
      const kept = (transport as unknown as { listenersByType: Map<string, unknown> })
        .listenersByType;
      expect(kept.size).toBe(MAX_CACHED_TYPES);
    });

    it('calls a subscription with overlapping selectors once per event', async () => {
      const sub = subscription(['order.created', 'order.*', 'order.**', '*.created']);
      transport.subscribe(sub);
      await transport.start();
      const first = event('order.created');
      const second = event('order.created');
      const third = event('order.cancelled');

      await transport.publish([first, second]);
      await transport.publish([third]);
      await transport.whenIdle();

      expect(sub.handle.mock.calls.map(([e]) => e)).toEqual([first, second, third]);
    });

    it('delivers to every subscription independently', async () => {
      const failing = subscription(
        ['order.created'],
        outcomes({ status: 'retry', delayMs: 1, error: new Error('flaky') }),
        'A.fails',
      );
      const fine = subscription(['order.created'], undefined, 'B.works');
      transport.subscribe(failing);
      transport.subscribe(fine);
      await transport.start();

      await transport.publish([event('order.created')]);
      await transport.whenIdle();

      expect(failing.handle).toHaveBeenCalledTimes(2);
      expect(fine.handle).toHaveBeenCalledTimes(1);
    });

    it('lets the handlers of a burst go on before starting all of it', async () => {
      // Handlers that wait for a turn of the microtask queue: started in one go, every run of
      // the burst would be alive at once.
      let running = 0;
      let mostRunning = 0;
      transport.subscribe(
        subscription(['order.created'], async () => {
          mostRunning = Math.max(mostRunning, ++running);
          await Promise.resolve();
          running--;
          return HANDLED;
        }),
      );
      await transport.start();

      await transport.publish(Array.from({ length: 5000 }, () => event('order.created')));
      await transport.whenIdle();

      expect(running).toBe(0);
      expect(mostRunning).toBeGreaterThan(0);
      expect(mostRunning).toBeLessThanOrEqual(1024);
    });

    it('keeps publish order through a burst, with what its handlers publish last', async () => {
      const order: string[] = [];
      const burst = Array.from({ length: 2500 }, () => event('order.created'));
      const [first, second] = burst;
      transport.subscribe(
        subscription(['order.created'], async (received) => {
          order.push(received.id);
          // One event published while the burst is emitted, one after a turn of the queue.
          if (received === first)
            void transport.publish([{ ...event('order.created'), id: 'child-sync' }]);
          await Promise.resolve();
          if (received === second)
            void transport.publish([{ ...event('order.created'), id: 'child-later' }]);
          return HANDLED;
        }),
      );
      await transport.start();

      await transport.publish(burst);
      await transport.whenIdle();

      expect(order).toEqual([...burst.map((e) => e.id), 'child-sync', 'child-later']);
    });

    it('goes on emitting when a listener of a given emitter throws, and says so', async () => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const emitter = new EventEmitter2({ wildcard: true, delimiter: '.' });
      transport = new InMemoryTransport({ emitter });
      const sub = subscription(['order.created']);
      transport.subscribe(sub);
      const [first, second, third] = ['order.created', 'order.created', 'order.created'].map(event);
      emitter.on('order.created', (received: EventEnvelope) => {
        if (received === first) throw new Error('listener broke');
      });
      await transport.start();

      await transport.publish([first, second, third]);
      await transport.whenIdle();

      expect(sub.handle.mock.calls.map(([e]) => e)).toEqual([first, second, third]);
      expect(error).toHaveBeenCalledTimes(1);
      const [message] = error.mock.calls[0] as [string];
      expect(message).toContain(`event ${first.id} (order.created)`);
      expect(message).toContain('Error: listener broke');
      expect(message).not.toContain('sequence');
    });

    it('delivers what was held before start past a listener of a given emitter that throws', async () => {
      jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const emitter = new EventEmitter2({ wildcard: true, delimiter: '.' });
      transport = new InMemoryTransport({ emitter });
      const sub = subscription(['order.created']);
      transport.subscribe(sub);
      emitter.on('order.created', () => {
        throw new Error('listener broke');
      });
      const held = [event('order.created'), event('order.created')];
      await transport.publish(held);

      await transport.start();

      expect(sub.handle.mock.calls.map(([e]) => e)).toEqual(held);
      expect(await hasSettled(transport.whenIdle())).toBe(true);
    });

    it('delivers through a given emitter, where other listeners see the events too', async () => {
      const emitter = new EventEmitter2({ wildcard: true, delimiter: '.' });
      const onEvent = jest.fn();
      emitter.on('order.*', onEvent);
      transport = new InMemoryTransport({ emitter });
      const sub = subscription(['order.created']);
      transport.subscribe(sub);
      await transport.start();
      const created = event('order.created');

      await transport.publish([created]);
      await transport.whenIdle();

      expect(onEvent).toHaveBeenCalledWith(created);
      expect(sub.handle).toHaveBeenCalledTimes(1);
      await transport.stop({ deadlineMs: 100 });
      emitter.emit('order.created', event('order.created'));
      await flush();
      expect(sub.handle).toHaveBeenCalledTimes(1);
      expect(emitter.listeners('order.created')).toEqual([onEvent]);
    });
  });

  describe('retries and dead letters', () => {
    it('re-delivers a retry outcome with attempt + 1', async () => {
      const error = new Error('flaky');
      const sub = subscription(
        ['order.created'],
        outcomes(
          { status: 'retry', delayMs: 2, error },
          { status: 'retry', delayMs: 1, error },
          HANDLED,
        ),
      );
      transport.subscribe(sub);
      await transport.start();
      const created = event('order.created');

      await transport.publish([created]);
      await transport.whenIdle();

      expect(sub.handle.mock.calls).toEqual([
        [created, { attempt: 1, trusted: true }],
        [created, { attempt: 2, trusted: true }],
        [created, { attempt: 3, trusted: true }],
      ]);
      expect(transport.deadLetters).toEqual([]);
    });

    it('waits delayMs before re-delivering', async () => {
      jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
      const sub = subscription(
        ['order.created'],
        outcomes({ status: 'retry', delayMs: 100, error: new Error('flaky') }),
      );
      transport.subscribe(sub);
      await transport.start();
      await transport.publish([event('order.created')]);
      const idle = transport.whenIdle();
      await flush();

      await jest.advanceTimersByTimeAsync(99);
      expect(sub.handle).toHaveBeenCalledTimes(1);
      expect(await hasSettled(idle)).toBe(false);

      await jest.advanceTimersByTimeAsync(1);
      await idle;
      expect(sub.handle).toHaveBeenCalledTimes(2);
      expect(sub.handle).toHaveBeenLastCalledWith(expect.anything(), {
        attempt: 2,
        trusted: true,
      });
    });

    it('records a dead-letter outcome', async () => {
      const error = new Error('declined');
      const sub = subscription(
        ['order.created'],
        outcomes({ status: 'dead-letter', reason: 'non-retryable', error, attempts: 1 }),
        'Billing.charge',
      );
      transport.subscribe(sub);
      await transport.start();
      const created = event('order.created');
      const before = Date.now();

      await transport.publish([created]);
      await transport.whenIdle();

      expect(transport.deadLetters).toEqual([
        {
          event: created,
          handler: 'Billing.charge',
          reason: 'non-retryable',
          error,
          attempts: 1,
          deadLetteredAt: expect.any(Date),
        },
      ]);
      expect(transport.deadLetters[0].deadLetteredAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(transport.health().details).toMatchObject({ deadLetters: 1 });

      transport.clearDeadLetters();
      expect(transport.deadLetters).toEqual([]);
    });

    it('records dead letters after exhausted retries with their attempts', async () => {
      const error = new Error('still failing');
      const sub = subscription(
        ['order.created'],
        outcomes(
          { status: 'retry', delayMs: 1, error },
          { status: 'dead-letter', reason: 'max-attempts', error, attempts: 2 },
        ),
      );
      transport.subscribe(sub);
      await transport.start();

      await transport.publish([event('order.created')]);
      await transport.whenIdle();

      expect(transport.deadLetters).toMatchObject([{ reason: 'max-attempts', attempts: 2 }]);
    });

    it('dead-letters with reason "overflow" past maxPendingRetries, and retries the rest', async () => {
      transport = new InMemoryTransport({ maxPendingRetries: 3 });
      const error = new Error('failing');
      const attempts = new Map<string, number>();
      const sub = subscription(['order.created'], (delivered, { attempt }) => {
        attempts.set(delivered.id, attempt);
        return Promise.resolve(attempt === 1 ? { status: 'retry', delayMs: 5, error } : HANDLED);
      });
      transport.subscribe(sub);
      await transport.start();

      const events = Array.from({ length: 5 }, () => event('order.created'));
      await transport.publish(events);
      await transport.whenIdle();

      expect(transport.deadLetters.map((d) => [d.event.id, d.reason, d.attempts])).toEqual([
        [events[3].id, 'overflow', 1],
        [events[4].id, 'overflow', 1],
      ]);
      expect(events.slice(0, 3).map((e) => attempts.get(e.id))).toEqual([2, 2, 2]);
      expect(events.slice(3).map((e) => attempts.get(e.id))).toEqual([1, 1]);
    });

    it('refuses a maxPendingRetries that is not a count', () => {
      expect(() => new InMemoryTransport({ maxPendingRetries: -1 })).toThrow(
        /maxPendingRetries must be an integer >= 0, got -1/,
      );
    });

    it('does not record handled or skipped outcomes', async () => {
      transport.subscribe(subscription(['order.created'], outcomes({ status: 'skipped' })));
      await transport.start();

      await transport.publish([event('order.created'), event('order.created')]);
      await transport.whenIdle();

      expect(transport.deadLetters).toEqual([]);
    });

    it('keeps at most maxDeadLetters, dropping and logging the oldest', async () => {
      transport = new InMemoryTransport({ maxDeadLetters: 2 });
      const deadLetter: DeliveryOutcome = {
        status: 'dead-letter',
        reason: 'non-retryable',
        error: new Error('bad'),
        attempts: 1,
      };
      transport.subscribe(subscription(['order.created'], () => Promise.resolve(deadLetter)));
      await transport.start();
      const events = [event('order.created'), event('order.created'), event('order.created')];

      await transport.publish(events);
      await transport.whenIdle();

      expect(transport.deadLetters.map((letter) => letter.event)).toEqual([events[1], events[2]]);
      expect(Logger.prototype.error).toHaveBeenCalledWith(
        expect.stringContaining(`dropped the oldest entry: event ${events[0].id}`),
        {
          eventId: events[0].id,
          eventType: 'order.created',
          eventVersion: 1,
          correlationId: events[0].id,
          handler: 'Test.handle',
          attempt: 1,
          reason: 'non-retryable',
          error: 'Error: bad',
        },
      );
    });

    it('adds the dropped event data to that log record with logPayloads', async () => {
      transport = new InMemoryTransport({ maxDeadLetters: 1, logPayloads: true });
      const deadLetter: DeliveryOutcome = {
        status: 'dead-letter',
        reason: 'max-attempts',
        error: 'not an Error',
        attempts: 3,
      };
      transport.subscribe(subscription(['order.created'], () => Promise.resolve(deadLetter)));
      await transport.start();
      const events = [event('order.created'), event('order.created')];

      await transport.publish(events);
      await transport.whenIdle();

      expect(Logger.prototype.error).toHaveBeenCalledWith(
        expect.any(String),
        expect.objectContaining({ data: events[0].data, error: 'not an Error', attempt: 3 }),
      );
    });
  });

  describe('before start', () => {
    it('holds published events and delivers them on start', async () => {
      const sub = subscription(['order.created']);
      transport.subscribe(sub);
      const early = [event('order.created'), event('order.created')];

      await transport.publish(early);
      await flush();
      expect(sub.handle).not.toHaveBeenCalled();

      await transport.start();
      await transport.whenIdle();
      expect(sub.handle.mock.calls.map(([e]) => e)).toEqual(early);
    });

    it('delivers a long backlog in parts, ahead of what is published once started', async () => {
      let running = 0;
      let mostRunning = 0;
      const order: string[] = [];
      transport.subscribe(
        subscription(['order.created'], async (received) => {
          order.push(received.id);
          mostRunning = Math.max(mostRunning, ++running);
          await Promise.resolve();
          running--;
          return HANDLED;
        }),
      );
      const backlog = Array.from({ length: 5000 }, () => event('order.created'));
      await transport.publish(backlog);

      const started = transport.start();
      const later = event('order.created');
      await transport.publish([later]);
      await started;
      await transport.whenIdle();

      expect(order).toEqual([...backlog.map((e) => e.id), later.id]);
      expect(mostRunning).toBeGreaterThan(0);
      expect(mostRunning).toBeLessThanOrEqual(1024);
    });

    it('holds a batch of 200,000 published at once', async () => {
      let handled = 0;
      transport.subscribe(
        subscription(['order.created'], () => {
          handled++;
          return Promise.resolve(HANDLED);
        }),
      );
      const batch = Array.from({ length: 200_000 }, () => event('order.created'));

      await transport.publish(batch);
      await transport.start();
      await transport.whenIdle();

      expect(handled).toBe(batch.length);
    });

    it('does not report idle while events are held', async () => {
      transport.subscribe(subscription(['order.created']));
      await transport.publish([event('order.created')]);
      const idle = transport.whenIdle();

      expect(await hasSettled(idle)).toBe(false);
      await transport.start();
      await idle;
    });

    it('reports idle after start when no subscription wanted the held events', async () => {
      transport.subscribe(subscription(['order.created']));
      await transport.publish([event('user.created')]);
      const idle = transport.whenIdle();

      await transport.start();

      expect(await hasSettled(idle)).toBe(true);
    });

    it('starts once', async () => {
      const sub = subscription(['order.created']);
      transport.subscribe(sub);
      await transport.publish([event('order.created')]);
      await transport.start();
      await transport.start();
      await transport.whenIdle();
      expect(sub.handle).toHaveBeenCalledTimes(1);
    });
  });

  describe('stop', () => {
    it('rejects publishing once stopped, naming the events', async () => {
      transport = new InMemoryTransport({ name: 'local' });
      await transport.start();
      await transport.stop({ deadlineMs: 100 });

      const publish = transport.publish([event('order.created'), event('order.paid')]);
      await expect(publish).rejects.toBeInstanceOf(TransportStoppedError);
      await expect(publish).rejects.toThrow(
        /^Transport "local" is stopped; events e-\d+, e-\d+ were/,
      );
    });

    it('waits for in-flight deliveries before resolving', async () => {
      const running = deferred<DeliveryOutcome>();
      const sub = subscription(['order.created'], () => running.promise);
      transport.subscribe(sub);
      await transport.start();
      await transport.publish([event('order.created')]);
      await flush();
      expect(sub.handle).toHaveBeenCalledTimes(1);

      const stopped = transport.stop({ deadlineMs: 60_000 });
      expect(await hasSettled(stopped)).toBe(false);
      expect(transport.health()).toEqual({
        status: 'down',
        details: { state: 'stopping', inFlight: 1, deadLetters: 0 },
      });

      running.resolve(HANDLED);
      await stopped;
      expect(transport.health()).toMatchObject({ status: 'down', details: { state: 'stopped' } });
      expect(transport.deadLetters).toEqual([]);
    });

    it('still delivers what handlers publish while it drains', async () => {
      const running = deferred<DeliveryOutcome>();
      const follow = subscription(['points.credited']);
      transport.subscribe(subscription(['order.created'], () => running.promise));
      transport.subscribe(follow);
      await transport.start();
      await transport.publish([event('order.created')]);
      await flush();

      const stopped = transport.stop({ deadlineMs: 60_000 });
      await transport.publish([event('points.credited')]);
      running.resolve(HANDLED);
      await stopped;

      expect(follow.handle).toHaveBeenCalledTimes(1);
    });

    it('lets waiting retries run while the deadline allows', async () => {
      const sub = subscription(
        ['order.created'],
        outcomes({ status: 'retry', delayMs: 1, error: new Error('flaky') }),
      );
      transport.subscribe(sub);
      await transport.start();
      await transport.publish([event('order.created')]);

      await transport.stop({ deadlineMs: 60_000 });

      expect(sub.handle).toHaveBeenCalledTimes(2);
      expect(transport.deadLetters).toEqual([]);
    });

    it('dead-letters waiting retries with reason "shutdown" at the deadline', async () => {
      jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
      const error = new Error('flaky');
      const sub = subscription(
        ['order.created'],
        outcomes({ status: 'retry', delayMs: 60_000, error }),
        'Billing.charge',
      );
      transport.subscribe(sub);
      await transport.start();
      const created = event('order.created');
      await transport.publish([created]);
      await flush();

      const stopped = transport.stop({ deadlineMs: 50 });
      await jest.advanceTimersByTimeAsync(49);
      expect(await hasSettled(stopped)).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await stopped;

      expect(transport.deadLetters).toEqual([
        {
          event: created,
          handler: 'Billing.charge',
          reason: 'shutdown',
          error,
          attempts: 1,
          deadLetteredAt: expect.any(Date),
        },
      ]);
      expect(Logger.prototype.warn).toHaveBeenCalledWith(
        expect.stringContaining('Drain deadline of 50 ms reached'),
      );
      expect(jest.getTimerCount()).toBe(0);
      await transport.whenIdle();
      expect(sub.handle).toHaveBeenCalledTimes(1);
      expect(transport.health().details).toMatchObject({ inFlight: 0, deadLetters: 1 });
    });

    it('does not retry a delivery that was still running at the deadline', async () => {
      const running = deferred<DeliveryOutcome>();
      const error = new Error('flaky');
      const sub = subscription(['order.created'], () => running.promise);
      transport.subscribe(sub);
      await transport.start();
      await transport.publish([event('order.created')]);
      await flush();

      await transport.stop({ deadlineMs: 1 });
      sub.handle.mockImplementation(() => Promise.resolve(HANDLED));
      running.resolve({ status: 'retry', delayMs: 0, error });
      await transport.whenIdle();

      // The transport is stopped: the handler must not run again, and the event must not vanish.
      expect(sub.handle).toHaveBeenCalledTimes(1);
      expect(transport.deadLetters).toMatchObject([{ reason: 'shutdown', error, attempts: 1 }]);
    });

    it('stops once', async () => {
      await transport.start();
      await transport.stop({ deadlineMs: 10 });
      await expect(transport.stop({ deadlineMs: 10 })).resolves.toBeUndefined();
    });
  });

  describe('restart', () => {
    it('starts again after stop, delivering only to the subscriptions made since', async () => {
      const before = subscription(['order.created']);
      transport.subscribe(before);
      await transport.start();
      await transport.stop({ deadlineMs: 10 });

      const after = subscription(['order.created']);
      transport.subscribe(after);
      await transport.start();
      expect(transport.health()).toMatchObject({ status: 'up', details: { state: 'started' } });
      await transport.publish([event('order.created')]);
      await transport.whenIdle();
      expect(before.handle).not.toHaveBeenCalled();
      expect(after.handle).toHaveBeenCalledTimes(1);
    });

    it('keeps dead letters across a restart, until cleared', async () => {
      transport.subscribe(
        subscription(['order.created'], () =>
          Promise.resolve({
            status: 'dead-letter',
            reason: 'non-retryable',
            error: new Error('bad'),
            attempts: 1,
          }),
        ),
      );
      await transport.start();
      await transport.publish([event('order.created')]);
      await transport.whenIdle();
      await transport.stop({ deadlineMs: 10 });
      await transport.start();
      expect(transport.deadLetters).toHaveLength(1);
      transport.clearDeadLetters();
      expect(transport.deadLetters).toEqual([]);
    });

    it('does not retry into the new run what the previous one still settles', async () => {
      const running = deferred<DeliveryOutcome>();
      const error = new Error('flaky');
      const old = subscription(['order.created'], () => running.promise);
      transport.subscribe(old);
      await transport.start();
      await transport.publish([event('order.created')]);
      await flush();
      await transport.stop({ deadlineMs: 1 });
      await transport.start();

      running.resolve({ status: 'retry', delayMs: 0, error });
      await transport.whenIdle();
      expect(old.handle).toHaveBeenCalledTimes(1);
      expect(transport.deadLetters).toMatchObject([{ reason: 'shutdown', error, attempts: 1 }]);
    });

    it('refuses to start while it is still stopping', async () => {
      const running = deferred<DeliveryOutcome>();
      transport.subscribe(subscription(['order.created'], () => running.promise));
      await transport.start();
      await transport.publish([event('order.created')]);
      await flush();
      const stopped = transport.stop({ deadlineMs: 60_000 });
      await expect(transport.start()).rejects.toThrow(/is still stopping/);
      running.resolve(HANDLED);
      await stopped;
    });
  });

  describe('health', () => {
    it('is up until stopped, with state, in-flight deliveries and dead letters', async () => {
      expect(transport.health()).toEqual({
        status: 'up',
        details: { state: 'created', inFlight: 0, deadLetters: 0 },
      });

      const running = deferred<DeliveryOutcome>();
      transport.subscribe(subscription(['order.created'], () => running.promise));
      await transport.start();
      await transport.publish([event('order.created'), event('order.created')]);
      expect(transport.health()).toEqual({
        status: 'up',
        details: { state: 'started', inFlight: 2, deadLetters: 0 },
      });

      running.resolve(HANDLED);
      await transport.whenIdle();
      expect(transport.health().details).toMatchObject({ inFlight: 0 });

      await transport.stop({ deadlineMs: 10 });
      expect(transport.health()).toEqual({
        status: 'down',
        details: { state: 'stopped', inFlight: 0, deadLetters: 0 },
      });
    });
  });
});
