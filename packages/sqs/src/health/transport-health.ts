import type { TransportHealth } from '@nestjs-events/core';
import { redactSecrets } from '@nestjs-events/core/transport';
import type { SqsConsumerOptions } from '../consuming/sqs-consumer-options.interface';
import type { SqsConsumerStatus } from '../consuming/sqs.consumer';

/** How the health of the SQS consumers of a transport is judged. */
export interface SqsHealthOptions {
  /**
   * How long a consumer may go without a successful ReceiveMessage before it counts as stalled.
   * A healthy long poll returns at least every `waitTimeSeconds`, so the default leaves 10 s for
   * latency and back-off on top.
   * @default (waitTimeSeconds + 10) * 1000, per queue
   */
  staleAfterMs?: number;
}

/** A consumed queue, as the health check sees it. */
export interface QueueHealthInput {
  readonly name: string;
  readonly options: Pick<Required<SqsConsumerOptions>, 'waitTimeSeconds' | 'concurrency'> &
    Pick<SqsConsumerOptions, 'prefetch'>;
}

/** A running consumer: anything with a `status()`, such as `SqsConsumer`. */
export interface ConsumerHealthInput {
  status(): SqsConsumerStatus;
}

/** What a publisher remembers of its last calls. */
export interface PublisherHealthInput {
  readonly lastSuccessAt: Date | undefined;
  readonly lastError: { readonly at: Date; readonly message: string } | undefined;
}

export interface ConsumerHealth {
  readonly queue: string;
  readonly status: 'up' | 'down';
  /** Why the consumer is down. */
  readonly reason?: string;
  readonly running: boolean;
  readonly inFlight: number;
  readonly consecutiveFailures: number;
  readonly lastReceiveAt?: Date;
  readonly lastError?: { readonly at: Date; readonly message: string };
  readonly staleAfterMs: number;
}

export interface PublisherHealth {
  readonly status: 'up' | 'down';
  readonly lastSuccessAt?: Date;
  readonly lastError?: { readonly at: Date; readonly message: string };
}

export interface SqsTransportHealthInput {
  /** Queues that have handlers: each should have a running consumer once the transport started. */
  readonly queues: readonly QueueHealthInput[];
  /** The consumers currently running (none before start and after stop). */
  readonly consumers: readonly ConsumerHealthInput[];
  readonly publisher: PublisherHealthInput;
  /** Transport-specific details, listed first. */
  readonly details?: Record<string, unknown>;
  readonly options?: SqsHealthOptions;
  /** @default Date.now() */
  readonly now?: number;
}

const STALE_MARGIN_MS = 10_000;
const MAX_ERROR_MESSAGE = 500;

/**
 * The last time the health check saw a consumer with no reason to have received yet: at its
 * concurrency limit (not polling), or not having received at all (first poll under way). The
 * consumer only reports when a receive succeeded, so this is the only other clock there is, and
 * it keeps a poll that resumes after a long busy spell from looking stale. Weak, so stopped
 * consumers are not kept alive by it.
 */
const notExpectedToReceiveAt = new WeakMap<object, number>();

/**
 * Health of a transport that publishes somewhere and consumes from SQS (SNS/SQS, EventBridge).
 * Down when any consumed queue has no running poll loop, its last ReceiveMessage failed, or it
 * has not received successfully for `staleAfterMs`; or when the last publish failed (after its
 * retries) and none succeeded since.
 */
export function sqsTransportHealth(input: SqsTransportHealthInput): TransportHealth {
  const now = input.now ?? Date.now();
  const byQueue = new Map<string, ConsumerHealthInput>();
  for (const consumer of input.consumers) byQueue.set(consumer.status().queue, consumer);
  const consumers = input.queues.map((queue) =>
    consumerHealth(queue, byQueue.get(queue.name), input.options ?? {}, now),
  );
  const publisher = publisherHealth(input.publisher);
  const up = publisher.status === 'up' && consumers.every((c) => c.status === 'up');
  return {
    status: up ? 'up' : 'down',
    details: { ...input.details, consumers, publisher },
  };
}

export function consumerHealth(
  queue: QueueHealthInput,
  consumer: ConsumerHealthInput | undefined,
  options: SqsHealthOptions,
  now: number = Date.now(),
): ConsumerHealth {
  const staleAfterMs =
    options.staleAfterMs ?? queue.options.waitTimeSeconds * 1000 + STALE_MARGIN_MS;
  if (!consumer) {
    return {
      queue: queue.name,
      status: 'down',
      reason: 'not consuming: the transport is not started, or stopped',
      running: false,
      inFlight: 0,
      consecutiveFailures: 0,
      staleAfterMs,
    };
  }
  const status = consumer.status();
  const base = {
    running: status.running,
    inFlight: status.inFlight,
    consecutiveFailures: status.consecutiveFailures,
    ...(status.lastReceiveAt && { lastReceiveAt: status.lastReceiveAt }),
    ...(status.lastError && {
      lastError: { at: status.lastError.at, message: redact(status.lastError.message) },
    }),
    staleAfterMs,
  };
  // Status and reason lead, so the JSON of a health endpoint reads from the verdict down.
  const up = (): ConsumerHealth => ({ queue: status.queue, status: 'up', ...base });
  const down = (reason: string): ConsumerHealth => ({
    queue: status.queue,
    status: 'down',
    reason,
    ...base,
  });
  if (!status.running) return down('the poll loop is not running');
  if (status.consecutiveFailures > 0) {
    return down(`ReceiveMessage failed ${status.consecutiveFailures} time(s) in a row`);
  }
  // A consumer at its concurrency limit (and with its prefetch full) stops polling until a
  // handler finishes: that is slow handlers, not a broken broker connection, so it does not make
  // the consumer stale.
  if (status.inFlight >= queue.options.concurrency + (queue.options.prefetch ?? 0)) {
    notExpectedToReceiveAt.set(consumer, now);
    return up();
  }
  let since = Math.max(
    status.lastReceiveAt?.getTime() ?? -Infinity,
    notExpectedToReceiveAt.get(consumer) ?? -Infinity,
  );
  if (since === -Infinity) {
    since = now;
    notExpectedToReceiveAt.set(consumer, now);
  }
  if (now - since > staleAfterMs) {
    return down(`no successful ReceiveMessage for ${now - since} ms (limit ${staleAfterMs} ms)`);
  }
  return up();
}

export function publisherHealth(publisher: PublisherHealthInput): PublisherHealth {
  const { lastSuccessAt, lastError } = publisher;
  const failing =
    lastError !== undefined &&
    (lastSuccessAt === undefined || lastError.at.getTime() > lastSuccessAt.getTime());
  return {
    status: failing ? 'down' : 'up',
    ...(lastSuccessAt && { lastSuccessAt }),
    ...(lastError && { lastError: { at: lastError.at, message: redact(lastError.message) } }),
  };
}

/**
 * Error messages end up in a health endpoint that may be public: whatever looks like a credential
 * is masked, and long messages are cut.
 */
export function redact(message: string): string {
  return redactSecrets(message, MAX_ERROR_MESSAGE);
}
