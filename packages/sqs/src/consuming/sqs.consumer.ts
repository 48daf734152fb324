import * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import {
  backoffDelay,
  describeError,
  redactSecrets,
  stackOf,
  settlesWithin,
  type DeliveryLedger,
  type EventSubscription,
} from '@nestjs-events/core/transport';
import type { DecoderOptions } from '../codec/message.decoder';
import { EVENT_ATTRIBUTES } from '../codec/message-attributes';
import { DeadLetterSender } from './dead-letter.sender';
import { DeleteBatcher } from './delete.batcher';
import { MessageProcessor, type DeadLetterNote } from './message.processor';
import type { QueueReporter } from './queue.reporter';
import type { SqsConsumerOptions } from './sqs-consumer-options.interface';

export interface SqsConsumerConfig {
  readonly client: Sqs.SQSClient;
  readonly queueName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly subscriptions: readonly EventSubscription[];
  readonly options: Required<SqsConsumerOptions>;
  readonly decoder: DecoderOptions;
  readonly reports: QueueReporter;
  readonly deliveries?: DeliveryLedger;
}

/** What the health check reads. */
export interface SqsConsumerStatus {
  readonly queue: string;
  readonly running: boolean;
  readonly inFlight: number;
  readonly lastReceiveAt?: Date;
  readonly lastError?: { readonly at: Date; readonly message: string };
  readonly consecutiveFailures: number;
}

/** The message attributes received: the event's own (see `EVENT_ATTRIBUTES`). */
const RECEIVED_ATTRIBUTES = Object.values(EVENT_ATTRIBUTES);

/** First ceiling of the back-off after failed receives: 200 ms, doubling up to maxPollBackoffMs. */
const POLL_BACKOFF_BASE_MS = 100;

/** How much longer than its wait time a long poll may take before it counts as stalled. */
const RECEIVE_MARGIN_MS = 10_000;

/**
 * A poller with room for part of a batch, and no prefetched message waiting, waits for room for a
 * whole batch only while at least this many batches of messages are being handled. With fewer,
 * the wait is most of a handler's time, with slots idle meanwhile: on fauxqs, at concurrency 20
 * (batches of 10) with 10 to 30 ms handlers, waiting from one batch ran 18 % fewer messages a
 * second; from two, concurrency 30 and 50 kept their throughput within 4 % (or raised it, where
 * the SDK's CPU per call was the limit), with up to 3.4 times fewer receives.
 */
const BUSY_BATCHES = 2;

/** A long poll that outlived its wait and margin: the broker took the call and never answered. */
class ReceiveStalledError extends Error {
  override name = 'ReceiveStalledError';

  constructor(boundMs: number, cause: unknown) {
    super(
      `ReceiveMessage did not answer within ${boundMs} ms (its wait time plus a margin); the ` +
        'broker may accept connections without answering. Polling goes on with back-off.',
      { cause },
    );
  }
}

/**
 * How processing a message ended: finished with (deleted or dead-lettered), to be retried, or
 * given up at stop before it started (prefetched).
 */
type Settled = 'done' | 'retry' | 'dropped';

/**
 * Consumes one SQS queue: long-polls while it holds fewer than `concurrency` + `prefetch`
 * messages (while prefetched ones wait or two batches are being handled, once there is room for a
 * batch or `receiveBatchDelayMs` has passed), runs every handler of the queue that takes the event
 * (`concurrency` messages at a time), extends visibility from receipt until they are done, then
 * deletes (batched), schedules a retry with ChangeMessageVisibility, or dead-letters with the
 * reason.
 * A failing handler or a broker error never ends the loop; broker errors back off.
 */
export class SqsConsumer {
  private readonly logger: Logger;
  private readonly deletes: DeleteBatcher;
  private readonly processor: MessageProcessor;
  private readonly deadLetters: DeadLetterSender;
  /** Only queues named `*.fifo` keep order within a group. */
  private readonly fifo: boolean;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Visibility heartbeats of the messages received and not yet settled. */
  private readonly heartbeats = new Set<NodeJS.Timeout>();
  private running = false;
  private loops: Promise<void>[] = [];
  private polls = new AbortController();
  private readonly slotWaiters = new Set<() => void>();
  private reserved = 0;
  /** Messages whose processing holds one of the `concurrency` slots. */
  private active = 0;
  /** Prefetched messages waiting for a slot, oldest first: each is started, or dropped at stop. */
  private readonly waiting: Array<(start: boolean) => void> = [];
  private lastReceiveAt: Date | undefined;
  private lastError: { at: Date; message: string } | undefined;
  private consecutiveFailures = 0;

  constructor(private readonly config: SqsConsumerConfig) {
    this.logger = new Logger(`SqsConsumer(${config.queueName})`);
    this.fifo = config.queueName.endsWith('.fifo');
    const { reports, deliveries } = config;
    this.deletes = new DeleteBatcher(
      config.client,
      config.queueUrl,
      config.options.deleteBatchDelayMs,
      this.logger,
      reports,
    );
    this.processor = new MessageProcessor(config.queueName, config.subscriptions, config.decoder, {
      reports,
      deliveries,
    });
    const deadLetterQueueUrl = Promise.resolve(config.deadLetterQueueUrl);
    this.deadLetters = new DeadLetterSender(
      config.client,
      config.queueName,
      () => deadLetterQueueUrl,
      this.logger,
      reports,
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.polls = new AbortController();
    // Enough receives in flight to fill every slot and the prefetch: one poller per batch of them.
    const { concurrency, prefetch, batchSize } = this.config.options;
    const pollers = Math.ceil((concurrency + prefetch) / batchSize);
    this.loops = Array.from({ length: pollers }, () => this.run());
  }

  /**
   * Stops polling, waits for in-flight messages up to `deadlineMs`, and flushes deletes. A message
   * still running at the deadline is not deleted: SQS delivers it again after its visibility timeout.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.polls.abort();
    this.wakeSlotWaiters();
    // Not started: SQS delivers them again once their visibility timeout ends.
    for (const give of this.waiting.splice(0)) give(false);
    if (!(await settlesWithin(Promise.all([...this.inFlight]), deadlineMs))) {
      this.logger.warn(
        `Drain deadline of ${deadlineMs} ms reached with ${this.inFlight.size} message(s) in flight; ` +
          'they return to the queue when their visibility timeout ends',
      );
      // Kept invisible while they drained; past the deadline another consumer may take them.
      for (const heartbeat of this.heartbeats) clearInterval(heartbeat);
      this.heartbeats.clear();
    }
    await this.deletes.flush();
    await Promise.all(this.loops);
  }

  status(): SqsConsumerStatus {
    return {
      queue: this.config.queueName,
      running: this.running,
      inFlight: this.inFlight.size,
      lastReceiveAt: this.lastReceiveAt,
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /**
   * One poller: receives as many messages as there are free slots (and room in the prefetch) not
   * already promised to another poller's receive, up to a batch, hands them over, and goes on;
   * waits while every slot is taken.
   */
  private async run(): Promise<void> {
    const { options } = this.config;
    while (this.running) {
      let free = this.room();
      if (free <= 0) {
        await new Promise<void>((resolve) => this.slotWaiters.add(resolve));
        continue;
      }
      if (free < options.batchSize && options.receiveBatchDelayMs > 0 && this.slotsStayBusy()) {
        // Room for part of a batch while the slots stay busy: it waits a little for room for
        // more. Receiving for each freed slot would cost up to one ReceiveMessage per message once
        // handlers take some time.
        await this.moreRoom();
        if (!this.running) break;
        // Read again just before it is reserved: another poller may have taken some meanwhile.
        free = this.room();
        if (free <= 0) continue;
      }
      const max = Math.min(options.batchSize, free);
      this.reserved += max;
      let messages: Sqs.Message[];
      try {
        messages = await this.receive(max);
      } catch (error) {
        if (!this.running) break;
        await this.backOff(error);
        continue;
      } finally {
        this.reserved -= max;
      }
      // Received as stop() began: nobody would wait for them. SQS delivers them again.
      if (!this.running) break;
      this.dispatch(messages);
    }
  }

  /**
   * Starts processing a received batch. Messages of one FIFO group run one after another, and
   * once one of them is to be retried the rest of its group waits for the retry too, so order
   * within a group holds. Standard queues may carry a MessageGroupId too (fair queues), without
   * any order to keep, so only queues named `*.fifo` are grouped.
   */
  private dispatch(messages: Sqs.Message[]): void {
    // An empty receive (the long poll's wait ended) starts no heartbeat, which nothing would end.
    if (messages.length === 0) return;
    const groups = new Map<string, Promise<Settled>>();
    // Kept invisible from their receipt: a message may wait for a slot, or behind its group,
    // before its handlers run, and a wait must not eat into the time they have.
    const letGoOf = this.keepVisible(messages);
    for (const message of messages) {
      const letGo = letGoOf(message);
      const group = this.fifo ? message.Attributes?.MessageGroupId : undefined;
      if (group === undefined) {
        this.track(this.inSlot(message, letGo));
        continue;
      }
      const previous = groups.get(group) ?? Promise.resolve<Settled>('done');
      // A message of the group given up at stop is held back like a retried one: order holds.
      const next = previous.then((settled) => {
        if (settled === 'done') return this.inSlot(message, letGo);
        letGo();
        return this.holdBack(message).then(() => settled);
      });
      groups.set(group, next);
      this.track(next);
    }
  }

  /**
   * Processes the message in one of the `concurrency` slots. A prefetched message waits for one;
   * given up at stop before it starts, it settles as `dropped`. `letGo` ends its heartbeat.
   */
  private inSlot(message: Sqs.Message, letGo: () => void): Promise<Settled> {
    if (this.active < this.config.options.concurrency) return this.occupy(message, letGo);
    // A FIFO message whose turn came after stop() emptied the prefetch.
    if (!this.running) return this.drop(message, letGo);
    return new Promise<Settled>((resolve) => {
      this.waiting.push((start) =>
        resolve(start ? this.occupy(message, letGo) : this.drop(message, letGo)),
      );
    });
  }

  private occupy(message: Sqs.Message, letGo: () => void): Promise<Settled> {
    this.active++;
    return this.process(message, letGo).finally(() => {
      letGo();
      this.active--;
      this.waiting.shift()?.(true);
    });
  }

  /**
   * Gives up a message that has not started: SQS delivers it again once its visibility timeout
   * ends. On a FIFO queue that receive is recorded as held back, so it does not count as an attempt.
   */
  private async drop(message: Sqs.Message, letGo: () => void): Promise<Settled> {
    letGo();
    if (this.fifo) {
      await this.processor.heldBack(message.MessageId, receiveCountOf(message));
    }
    return 'dropped';
  }

  private async receive(max: number): Promise<Sqs.Message[]> {
    const { client, queueUrl, options } = this.config;
    const boundMs = options.waitTimeSeconds * 1000 + RECEIVE_MARGIN_MS;
    // Bounded by the long poll's own wait and a margin, whatever the client's timeouts: a broker
    // that accepts the call and never answers shows up as a failed receive, not a silent stall.
    // stop() aborts it through a listener removed afterwards, not through AbortSignal.any: on
    // Node 20, 22 and 24 a signal combined with the consumer's long-lived one (and observed, as
    // the SDK does) stays reachable from it, some 30 to 220 bytes kept per receive.
    const bound = new AbortController();
    const abort = (): void => bound.abort();
    const timer = setTimeout(abort, boundMs);
    const stopping = this.polls.signal;
    stopping.addEventListener('abort', abort, { once: true });
    let output: Sqs.ReceiveMessageCommandOutput;
    try {
      output = await client.send(
        new Sqs.ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: options.waitTimeSeconds,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
          // Only the attributes a dead-letter copy keeps: the envelope is in the body, and every
          // attribute more is more to send, parse and hold per message.
          MessageAttributeNames: RECEIVED_ATTRIBUTES,
        }),
        {
          abortSignal: bound.signal,
          // A long poll is quiet for up to its wait: the client's own request timeout may be shorter.
          requestTimeout: boundMs,
        },
      );
    } catch (error) {
      const timedOut = bound.signal.aborted || (error as Error)?.name === 'TimeoutError';
      if (timedOut && !stopping.aborted) throw new ReceiveStalledError(boundMs, error);
      throw error;
    } finally {
      clearTimeout(timer);
      stopping.removeEventListener('abort', abort);
    }
    this.lastReceiveAt = new Date();
    this.consecutiveFailures = 0;
    return output.Messages ?? [];
  }

  private async backOff(error: unknown): Promise<void> {
    this.consecutiveFailures++;
    const stalled = error instanceof ReceiveStalledError;
    this.config.reports.receiveFailed(stalled, this.consecutiveFailures, error);
    const message = describeError(error);
    this.lastError = { at: new Date(), message };
    const delay = backoffDelay(
      this.consecutiveFailures + 1,
      POLL_BACKOFF_BASE_MS,
      this.config.options.maxPollBackoffMs,
    );
    // Log the first failure and then every tenth, so an outage is visible without flooding the log.
    if (this.consecutiveFailures === 1 || this.consecutiveFailures % 10 === 0) {
      this.logger.error(
        `ReceiveMessage failed (${this.consecutiveFailures} in a row): ${message}; retrying in ${delay} ms`,
      );
    }
    await this.sleep(delay);
  }

  /** Waits `ms`, or less if stop() is called. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.polls.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  /** Messages the pollers may still receive: free slots and prefetch room not already asked for. */
  private room(): number {
    const { concurrency, prefetch } = this.config.options;
    return concurrency + prefetch - this.inFlight.size - this.reserved;
  }

  /**
   * Whether the slots stay busy while a poller waits for room for a whole batch: prefetched
   * messages still wait for a slot, or at least `BUSY_BATCHES` batches of messages are being
   * handled, so that room for a batch comes soon. Otherwise an empty prefetch is refilled at once,
   * so that the slots do not run dry, and a freed slot is asked for at once.
   */
  private slotsStayBusy(): boolean {
    const { batchSize } = this.config.options;
    return this.waiting.length > 0 || this.active >= BUSY_BATCHES * batchSize;
  }

  /**
   * Waits, at most `receiveBatchDelayMs`, until there is room for a batch or the slots no longer
   * stay busy, or stop() is called.
   */
  private async moreRoom(): Promise<void> {
    const { batchSize, receiveBatchDelayMs } = this.config.options;
    const until = performance.now() + receiveBatchDelayMs;
    while (this.running && this.room() < batchSize && this.slotsStayBusy()) {
      const left = until - performance.now();
      if (left <= 0) return;
      await this.slotFreedWithin(left);
    }
  }

  /** Resolves once a message settles or stop() is called, or after `ms`. */
  private slotFreedWithin(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.slotWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.slotWaiters.add(wake);
    });
  }

  private wakeSlotWaiters(): void {
    const waiters = [...this.slotWaiters];
    this.slotWaiters.clear();
    for (const wake of waiters) wake();
  }

  private track(work: Promise<unknown>): void {
    const tracked = work
      .catch((error: unknown) =>
        this.logger.error('Unexpected failure while processing a message', stackOf(error)),
      )
      .finally(() => {
        this.inFlight.delete(tracked);
        this.wakeSlotWaiters();
      });
    this.inFlight.add(tracked);
  }

  /** Runs the handlers of a message, then deletes it, schedules its retry or dead-letters it. */
  /** `letGo` ends the message's heartbeat: called once its handlers are done, before the verdict. */
  private async process(message: Sqs.Message, letGo: () => void): Promise<Settled> {
    const received = {
      messageId: message.MessageId,
      body: message.Body,
      receiveCount: receiveCountOf(message),
    };
    const verdict = await this.processor.process(received, { handling: () => letGo });
    switch (verdict.action) {
      case 'retry': {
        const done = [...verdict.done];
        if (
          verdict.deadLetters.length &&
          (await this.deadLetters.send(message, verdict.deadLetters))
        ) {
          done.push(...verdict.deadLetters.map((note) => note.handler));
        }
        await this.processor.remember(message.MessageId, done);
        await this.retryLater(message, verdict.delayMs);
        return 'retry';
      }
      case 'dead-letter':
        await this.deadLetter(message, verdict.notes);
        return 'done';
      case 'delete':
        this.deletes.add(message.MessageId!, message.ReceiptHandle!);
        return 'done';
    }
  }

  /**
   * Extends the visibility of a received batch's messages every half timeout, in one
   * ChangeMessageVisibilityBatch call for those still held, until each is let go through the
   * function `letGoOf` gives for it (called once or more), or the drain deadline passes. Received
   * together, the messages' extensions are due together: one timer and one call per batch instead
   * of one per message.
   */
  private keepVisible(messages: readonly Sqs.Message[]): (message: Sqs.Message) => () => void {
    const held = new Set(messages);
    const every = Math.max(1000, (this.config.options.visibilityTimeoutSeconds * 1000) / 2);
    // Also while the consumer drains: a message completed during the drain must not come back.
    const heartbeat = setInterval(() => this.extendVisibility([...held]), every);
    this.heartbeats.add(heartbeat);
    return (message) => () => {
      if (!held.delete(message) || held.size > 0) return;
      clearInterval(heartbeat);
      this.heartbeats.delete(heartbeat);
    };
  }

  /** One heartbeat of `messages` (at most a batch, so one call); failures are logged, not thrown. */
  private extendVisibility(messages: readonly Sqs.Message[]): void {
    const { client, queueUrl, options } = this.config;
    client
      .send(
        new Sqs.ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: options.visibilityTimeoutSeconds,
          })),
        }),
      )
      .then(
        ({ Failed }) => {
          for (const failed of Failed ?? []) {
            const reason = redactSecrets(failed.Message ?? failed.Code ?? 'no reason given');
            this.logger.warn(
              `Could not extend the visibility of message ${messages[Number(failed.Id)]?.MessageId}: ${reason}`,
            );
          }
        },
        (error: unknown) =>
          this.logger.warn(
            `Could not extend the visibility of message(s) ` +
              `${messages.map((message) => message.MessageId).join(', ')}: ` +
              redactSecrets((error as Error).message),
          ),
      );
  }

  /** A FIFO message behind a retried one of its group: back with it, this receive not an attempt. */
  private async holdBack(message: Sqs.Message): Promise<void> {
    await this.processor.heldBack(message.MessageId, receiveCountOf(message));
    await this.retryLater(message, 0);
  }

  private async retryLater(message: Sqs.Message, delayMs: number): Promise<void> {
    const { client, queueUrl } = this.config;
    try {
      await client.send(
        new Sqs.ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: Math.min(43_200, Math.ceil(delayMs / 1000)),
        }),
      );
    } catch (error) {
      // The message comes back anyway when its current visibility timeout ends.
      this.logger.warn(
        `Could not schedule the retry of message ${message.MessageId}: ${redactSecrets((error as Error).message)}`,
      );
    }
  }

  /** Sends the message to the dead-letter queue with the reasons, then deletes it. */
  private async deadLetter(message: Sqs.Message, notes: readonly DeadLetterNote[]): Promise<void> {
    if (await this.deadLetters.send(message, notes)) {
      this.deletes.add(message.MessageId!, message.ReceiptHandle!);
    }
  }
}

function receiveCountOf(message: Sqs.Message): number {
  return Number(message.Attributes?.ApproximateReceiveCount ?? '1');
}
