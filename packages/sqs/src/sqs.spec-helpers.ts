// Builders shared by this package's unit specs: a stubbed SQS client, stub subscriptions, events
// and messages. Only specs import this file; the build leaves it out.
import type * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@nestjs-events/core';
import type {
  DeliveryInfo,
  DeliveryOutcome,
  EventSubscription,
} from '@nestjs-events/core/transport';

export function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  const id = overrides.id ?? 'e-1';
  return {
    id,
    type: 'order.created',
    version: 1,
    source: 'orders',
    occurredAt: '2024-01-01T00:00:00.000Z',
    data: { total: 1 },
    metadata: { correlationId: id },
    ...overrides,
  };
}

/** A message as ReceiveMessage returns it, its ids derived from the event's. */
export function sqsMessage(
  event: EventEnvelope,
  attributes: Record<string, string> = {},
): Sqs.Message {
  return {
    MessageId: event.id,
    ReceiptHandle: `handle-${event.id}`,
    Body: JSON.stringify(event),
    Attributes: { ApproximateReceiveCount: '1', ...attributes },
  };
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One call the stub client was given. */
export interface SentCommand {
  /** `command.constructor.name`, e.g. `ReceiveMessageCommand`. */
  readonly name: string;
  readonly input: Record<string, any>;
  readonly abortSignal?: AbortSignal;
  /** `Date.now()` when it was sent (fake time under fake timers). */
  readonly at: number;
}

/** How the stub answers one command type: the output, or a throw for a failed call. */
export type Answer = (input: Record<string, any>, call: SentCommand) => unknown;

/**
 * An SQS client that records every command and answers it by its type (`{}` for types without
 * an answer); no network. `answers` may be changed while a test runs.
 */
export function stubSqs(answers: Record<string, Answer> = {}) {
  const calls: SentCommand[] = [];
  const send = (
    command: { readonly input: unknown },
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown> => {
    const call: SentCommand = {
      name: command.constructor.name,
      input: command.input as Record<string, any>,
      abortSignal: options?.abortSignal,
      at: Date.now(),
    };
    calls.push(call);
    return new Promise((resolve) => resolve(answers[call.name]?.(call.input, call) ?? {}));
  };
  return {
    client: { send } as unknown as Sqs.SQSClient,
    calls,
    answers,
    /** The inputs of the calls of one command type, in order. */
    inputsOf: (name: string): Array<Record<string, any>> =>
      calls.filter((c) => c.name === name).map((c) => c.input),
  };
}

/** An error like the SDK's when a request's abort signal fires. */
function abortError(): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
}

/**
 * Long polls under the test's control: each ReceiveMessage stays pending until the test answers
 * it (`pending[i].respond(messages)` or `.fail(error)`), or rejects when its abort signal fires.
 */
export function longPolls() {
  const pending: Array<{
    readonly input: Record<string, any>;
    readonly signal?: AbortSignal;
    respond(messages: Sqs.Message[]): void;
    fail(error: unknown): void;
  }> = [];
  const answer: Answer = (input, call) =>
    new Promise((resolve, reject) => {
      call.abortSignal?.addEventListener('abort', () => reject(abortError()), { once: true });
      pending.push({
        input,
        signal: call.abortSignal,
        respond: (messages) => resolve({ Messages: messages }),
        fail: reject,
      });
    });
  return { answer, pending };
}

export const HANDLED: DeliveryOutcome = { status: 'handled' };

/** A subscription taking exact `eventTypes`, whose outcome `handle` gives. */
export function stubSubscription(
  handler: string,
  eventTypes: readonly string[],
  handle: (
    event: EventEnvelope,
    delivery: DeliveryInfo,
  ) => DeliveryOutcome | Promise<DeliveryOutcome> = () => HANDLED,
) {
  const deliveries: Array<{ event: EventEnvelope; delivery: DeliveryInfo }> = [];
  const subscription: EventSubscription = {
    handler,
    eventTypes,
    matches: (type) => eventTypes.includes(type),
    handle: async (event, delivery) => {
      deliveries.push({ event, delivery });
      return handle(event, delivery);
    },
  };
  return { subscription, deliveries };
}

/**
 * A subscription whose deliveries run until the test finishes them: `started` lists the event
 * ids in the order they began, `finish(id, outcome)` settles one.
 */
export function controlledSubscription(
  handler = 'Orders.onCreated',
  eventTypes: readonly string[] = ['order.created'],
) {
  const running = new Map<string, Deferred<DeliveryOutcome>>();
  const started: string[] = [];
  const { subscription } = stubSubscription(handler, eventTypes, (event) => {
    started.push(event.id);
    const outcome = deferred<DeliveryOutcome>();
    running.set(event.id, outcome);
    return outcome.promise;
  });
  const finish = (id: string, outcome: DeliveryOutcome = HANDLED): void => {
    const delivery = running.get(id);
    if (!delivery) throw new Error(`Event ${id} is not running`);
    running.delete(id);
    delivery.resolve(outcome);
  };
  return { subscription, started, finish, running: () => [...running.keys()] };
}

/** A logger that records instead of printing. */
export function stubLogger() {
  const logger = { error: jest.fn(), warn: jest.fn(), log: jest.fn(), debug: jest.fn() };
  return logger as typeof logger & Logger;
}

/** Silences (and records) what classes that build their own Nest Logger print. */
export function quietNestLogs() {
  return {
    error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
    warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
  };
}

/**
 * Fake timers that leave setImmediate real, so that `flushPromises()` can let every pending
 * promise chain run without moving the clock.
 */
export function useFakeTime(): void {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
}

/** Lets every promise chain that can go on run, without moving the (fake) clock. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
