import { Logger } from '@nestjs/common';
import { HandlerTimeoutError } from '../errors/handler-timeout.error';
import { currentHandlingContext, type HandlingContext } from '../context/event-context';
import type { EventDefinition } from '../definition/event-definition.interface';
import { NonRetryableError } from '../errors/non-retryable.error';
import type { IdempotentRunner } from '../idempotency/idempotent.runner';
import type { ResolvedIdempotencyOptions } from '../idempotency/resolve-idempotency-options';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventNotification } from '../monitor/event-notification.interface';
import type { EventsMonitor } from '../monitor/events.monitor';
import { RetryPolicy } from '../retry/retry-policy';
import { EventDispatcher, type EventDispatcherConfig } from './event.dispatcher';
import type { HandlerInvoker } from './handler-invoker.factory';
import { OutcomeReporter } from './outcome.reporter';
import { StuckHandlers } from './stuck-handlers';

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: 'e-1',
    type: 'thing.happened',
    version: 1,
    source: 'test',
    occurredAt: '2024-01-01T00:00:00.000Z',
    data: { size: 1 },
    metadata: { correlationId: 'e-1' },
    ...overrides,
  };
}

/** A monitor that records what it is told, and whether anyone listens. */
function monitor(observed = true) {
  const notifications: EventNotification[] = [];
  const stub = { observed, notify: (n: EventNotification) => notifications.push(n) };
  return { notifications, monitor: stub as unknown as EventsMonitor };
}

function dispatcher(
  invoke: HandlerInvoker,
  config: Partial<EventDispatcherConfig> = {},
  events = monitor(),
) {
  // Delays at the top of the window, so that they are known.
  const retry = new RetryPolicy({ maxAttempts: 2, baseDelayMs: 100 }, () => 0.999999);
  const subscription = new EventDispatcher({
    handler: 'Things.onThing',
    eventTypes: ['thing.happened'],
    matchers: [],
    definitions: new Map(),
    invoke,
    outcome: new OutcomeReporter('Things.onThing', retry, events.monitor),
    timeoutMs: Infinity,
    stuck: new StuckHandlers(),
    ...config,
  });
  return { subscription, notifications: events.notifications };
}

describe('EventDispatcher', () => {
  it('invokes the handler with the event inside its handling context, and reports it handled', async () => {
    let seen: HandlingContext | undefined;
    const invoke = jest.fn(() => (seen = currentHandlingContext()));
    const { subscription, notifications } = dispatcher(invoke);
    const event = envelope();

    await expect(subscription.handle(event, { attempt: 2 })).resolves.toEqual({
      status: 'handled',
    });

    expect(invoke).toHaveBeenCalledWith(event, seen);
    expect(seen).toMatchObject({ event, handler: 'Things.onThing', attempt: 2 });
    expect(notifications).toEqual([
      expect.objectContaining({ kind: 'handled', event, attempt: 2, handler: 'Things.onThing' }),
    ]);
  });

  it('calls a synchronous handler before handle() returns', () => {
    const invoke = jest.fn();
    const { subscription } = dispatcher(invoke);
    void subscription.handle(envelope(), { attempt: 1 });
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('builds no notification when no one listens', async () => {
    const events = monitor(false);
    const notify = jest.spyOn(events.monitor, 'notify');
    const invoke = jest.fn().mockReturnValueOnce(undefined).mockRejectedValueOnce(new Error('x'));
    const { subscription } = dispatcher(invoke, {}, events);
    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toMatchObject({
      status: 'handled',
    });
    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toMatchObject({
      status: 'retry',
    });
    expect(notify).not.toHaveBeenCalled();
  });

  it('upcasts and validates through the selected definition before invoking', async () => {
    const lifted = envelope({ version: 2, data: { size: 1, name: 'lifted' } });
    const definition = {
      type: 'thing.happened',
      version: 2,
      upcast: jest.fn(() => lifted),
      validate: jest.fn((data: unknown) => Promise.resolve({ ...(data as object), valid: true })),
    } as unknown as EventDefinition;
    const invoke = jest.fn();
    const { subscription, notifications } = dispatcher(invoke, {
      definitions: new Map([['thing.happened', definition]]),
    });

    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'handled',
    });

    const [handled] = invoke.mock.calls[0] as [EventEnvelope];
    expect(handled).toEqual({ ...lifted, data: { size: 1, name: 'lifted', valid: true } });
    expect(notifications[0]).toMatchObject({ kind: 'handled', event: handled });
  });

  it('dead-letters an event that fails validation at once, without invoking', async () => {
    const definition = {
      type: 'thing.happened',
      version: 1,
      upcast: (event: EventEnvelope) => event,
      validate: () => {
        throw new NonRetryableError('bad data');
      },
    } as unknown as EventDefinition;
    const invoke = jest.fn();
    const { subscription } = dispatcher(invoke, {
      definitions: new Map([['thing.happened', definition]]),
    });

    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toMatchObject({
      status: 'dead-letter',
      reason: 'non-retryable',
      attempts: 1,
    });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('skips an event its content filter rejects, reported as filtered', async () => {
    const invoke = jest.fn();
    const { subscription, notifications } = dispatcher(invoke, {
      filter: (event) => ((event as EventEnvelope).data as { size: number }).size > 5,
    });

    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'skipped',
    });
    expect(invoke).not.toHaveBeenCalled();
    expect(notifications).toEqual([
      expect.objectContaining({ kind: 'skipped', reason: 'filtered', handler: 'Things.onThing' }),
    ]);
  });

  it('reports a guard denial as skipped, not as a failure', async () => {
    const { subscription, notifications } = dispatcher((_event, context) => {
      context.skipped = 'guard';
      return Promise.resolve();
    });
    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'skipped',
    });
    expect(notifications).toEqual([expect.objectContaining({ kind: 'skipped', reason: 'guard' })]);
  });

  it('asks for a retry with the policy delay, then dead-letters after the last attempt', async () => {
    const error = new Error('downstream is gone');
    const { subscription, notifications } = dispatcher(() => Promise.reject(error));

    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'retry',
      delayMs: 100,
      error,
    });
    await expect(subscription.handle(envelope(), { attempt: 2 })).resolves.toEqual({
      status: 'dead-letter',
      reason: 'max-attempts',
      error,
      attempts: 2,
    });
    // The dead letter is the transport's to report, once it has written it.
    expect(notifications.map((n) => n.kind)).toEqual(['retrying']);
  });

  it('turns a synchronous throw into an outcome: handle() never rejects', async () => {
    const { subscription } = dispatcher(() => {
      throw new NonRetryableError('broken');
    });
    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toMatchObject({
      status: 'dead-letter',
      reason: 'non-retryable',
    });
  });

  it('runs the invocation inside the idempotency step when the handler has one', async () => {
    const order: string[] = [];
    const options = {
      ttlMs: 1,
      lockTtlMs: 1,
      whenInProgress: 'skip',
    } as ResolvedIdempotencyOptions;
    const runner = {
      run: jest.fn(async (context: HandlingContext, _options: unknown, work: () => unknown) => {
        order.push(`claim:${context.handler}`);
        await work();
        order.push('complete');
      }),
    };
    const { subscription } = dispatcher(() => void order.push('handler'), {
      idempotency: { runner: runner as unknown as IdempotentRunner, options },
    });

    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'handled',
    });
    expect(order).toEqual(['claim:Things.onThing', 'handler', 'complete']);
    expect(runner.run).toHaveBeenCalledWith(expect.anything(), options, expect.any(Function));
  });

  it('reports a duplicate marked by the idempotency step as skipped', async () => {
    const invoke = jest.fn();
    const runner = {
      run: (context: HandlingContext) => {
        context.skipped = 'duplicate';
        return Promise.resolve(undefined);
      },
    };
    const { subscription, notifications } = dispatcher(invoke, {
      idempotency: {
        runner: runner as unknown as IdempotentRunner,
        options: {} as ResolvedIdempotencyOptions,
      },
    });
    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'skipped',
    });
    expect(invoke).not.toHaveBeenCalled();
    expect(notifications).toEqual([expect.objectContaining({ reason: 'duplicate' })]);
  });

  it('matches the types of its definitions and of its selectors', () => {
    const { subscription } = dispatcher(() => undefined, {
      definitions: new Map([['thing.happened', {} as EventDefinition]]),
      matchers: [(type) => type.startsWith('order.')],
    });
    expect(subscription.matches('thing.happened')).toBe(true);
    expect(subscription.matches('order.created')).toBe(true);
    expect(subscription.matches('thing.noted')).toBe(false);
  });
});

describe('EventDispatcher handler timeout', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('fails the attempt with a HandlerTimeoutError when the run outlives it, and reports it stuck until it settles', async () => {
    let finish!: () => void;
    const stuck = new StuckHandlers();
    const { subscription, notifications } = dispatcher(
      () => new Promise<void>((resolve) => (finish = resolve)),
      { timeoutMs: 1000, stuck },
    );
    const outcome = subscription.handle(envelope(), { attempt: 1 });
    await jest.advanceTimersByTimeAsync(999);
    expect(stuck.list()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await expect(outcome).resolves.toMatchObject({
      status: 'retry',
      error: expect.any(HandlerTimeoutError),
    });
    expect(stuck.list()).toEqual([
      expect.objectContaining({
        handler: 'Things.onThing',
        eventId: 'e-1',
        attempt: 1,
        timeoutMs: 1000,
      }),
    ]);
    expect(notifications.map((n) => n.kind)).toEqual(['timed-out', 'retrying']);
    finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(stuck.list()).toEqual([]);
  });

  it('leaves a run that settles in time alone, and clears its timer', async () => {
    const stuck = new StuckHandlers();
    const { subscription } = dispatcher(() => Promise.resolve(), { timeoutMs: 1000, stuck });
    await expect(subscription.handle(envelope(), { attempt: 1 })).resolves.toEqual({
      status: 'handled',
    });
    expect(jest.getTimerCount()).toBe(0);
    expect(stuck.list()).toEqual([]);
  });

  it('watches every run of a handler with one timer, expiring each at its own deadline', async () => {
    const stuck = new StuckHandlers();
    const { subscription } = dispatcher(() => new Promise<void>(() => undefined), {
      timeoutMs: 100,
      stuck,
    });
    const first = Array.from({ length: 50 }, () => subscription.handle(envelope(), { attempt: 1 }));
    await jest.advanceTimersByTimeAsync(60);
    const later = Array.from({ length: 50 }, () => subscription.handle(envelope(), { attempt: 1 }));
    expect(jest.getTimerCount()).toBe(1);

    await jest.advanceTimersByTimeAsync(40);
    await Promise.all(first);
    expect(stuck.list()).toHaveLength(50);
    expect(jest.getTimerCount()).toBe(1);

    await jest.advanceTimersByTimeAsync(60);
    await expect(Promise.all(later)).resolves.toHaveLength(50);
    expect(stuck.list()).toHaveLength(100);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('dead-letters at the last attempt like any failure', async () => {
    const { subscription } = dispatcher(() => new Promise<void>(() => undefined), {
      timeoutMs: 50,
    });
    const outcome = subscription.handle(envelope(), { attempt: 2 });
    await jest.advanceTimersByTimeAsync(50);
    await expect(outcome).resolves.toMatchObject({
      status: 'dead-letter',
      reason: 'max-attempts',
      error: expect.objectContaining({ name: 'HandlerTimeoutError' }),
    });
  });
});
