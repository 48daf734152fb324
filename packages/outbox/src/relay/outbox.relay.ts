import { Logger } from '@nestjs/common';
import { NonRetryableError, type EventEnvelope } from '@nestjs-events/core';
import {
  backoffDelay,
  describeError,
  OversizeEventError,
  PublishError,
  settlesWithin,
  type TransportMonitor,
  type TransportNotification,
} from '@nestjs-events/core/transport';
import type { OutboxRow, OutboxRowOutcome, OutboxStore } from '../outbox-store.interface';
import { sendWaves } from './send-waves';

export interface OutboxRelayOptions {
  /** Rows claimed and sent per pass. @default 100 */
  batchSize?: number;
  /**
   * How often the relay looks for rows when nothing wakes it. Stores that notify (PostgreSQL)
   * wake it at each commit; this is the fallback. @default 1000
   */
  pollIntervalMs?: number;
  /** Failed sends of one row before it is parked. @default 10 */
  maxAttempts?: number;
  /** Backoff of a row after a failed send: base of the exponential, full jitter. @default 500 */
  retryBaseDelayMs?: number;
  /** Longest wait before a failed row is due again. @default 60000 */
  retryMaxDelayMs?: number;
  /**
   * Bound of one publish call through the wrapped transport; one that takes longer counts as
   * failed (it may still have gone through: the row is sent again, at least once). @default 30000
   */
  sendTimeoutMs?: number;
  /** How long sent rows are kept before they are deleted. @default 86400000 (24 h) */
  retentionMs?: number;
  /** How often sent rows past retention are deleted. @default 60000 */
  cleanupIntervalMs?: number;
}

/** Counters of one relay since it started, for dashboards and health. */
export interface OutboxRelayMetrics {
  /** Rows handed to the broker and marked sent. */
  readonly sent: number;
  /** Failed send attempts (each retried later). */
  readonly failed: number;
  /** Rows parked after their last failed attempt. */
  readonly parked: number;
  /** Sent rows deleted after the retention period. */
  readonly purged: number;
  /** Relay passes that could not reach the store. */
  readonly storeErrors: number;
  /** Time from an event's `occurredAt` to its send, for the last row sent, in ms. */
  readonly lastLagMs?: number;
  /** The last send or store error, redacted. */
  readonly lastError?: string;
  /** True while the last pass reached the store. */
  readonly storeReachable: boolean;
}

type Resolved = Required<OutboxRelayOptions>;

const STORE_RETRY_BASE_MS = 100;
const STORE_RETRY_MAX_MS = 5000;
const PURGE_BATCH = 1000;

/**
 * Sends what the outbox holds for one transport: claims due rows, publishes them wave after wave
 * (order kept per key), records each outcome, and repeats while there is work, sleeping between
 * passes until woken by the store or the poll interval. Broker errors back off per row and for the
 * whole relay; store errors back off and never stop the loop. One per wrapped transport, in every
 * instance: the store's claims keep two relays from holding one row.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private readonly options: Resolved;
  private running?: Promise<void>;
  /**
   * Bumped at each start: a loop left running by a stop that passed its deadline ends after its
   * pass instead of running beside the next start's.
   */
  private generation = 0;
  private stopping = false;
  private drainUntil = 0;
  private wake?: () => void;
  private woken = false;
  private unlisten?: () => Promise<void>;
  private lastPurge = 0;
  private brokerFailures = 0;
  private storeFailures = 0;
  private monitor: TransportMonitor | undefined;
  private counters = {
    sent: 0,
    failed: 0,
    parked: 0,
    purged: 0,
    storeErrors: 0,
    lastLagMs: undefined as number | undefined,
    lastError: undefined as string | undefined,
  };

  constructor(
    private readonly store: OutboxStore,
    private readonly destination: string,
    private readonly publish: (events: readonly EventEnvelope[]) => Promise<void>,
    options: OutboxRelayOptions = {},
  ) {
    this.logger = new Logger(`OutboxRelay(${destination})`);
    this.options = {
      batchSize: positive(options.batchSize, 100, 'batchSize'),
      pollIntervalMs: positive(options.pollIntervalMs, 1000, 'pollIntervalMs'),
      maxAttempts: positive(options.maxAttempts, 10, 'maxAttempts'),
      retryBaseDelayMs: positive(options.retryBaseDelayMs, 500, 'retryBaseDelayMs'),
      retryMaxDelayMs: positive(options.retryMaxDelayMs, 60_000, 'retryMaxDelayMs'),
      sendTimeoutMs: positive(options.sendTimeoutMs, 30_000, 'sendTimeoutMs'),
      retentionMs: positive(options.retentionMs, 86_400_000, 'retentionMs'),
      cleanupIntervalMs: positive(options.cleanupIntervalMs, 60_000, 'cleanupIntervalMs'),
    };
  }

  /**
   * Starts the loop (and the store's wake-up, where it has one). Calling it again does nothing.
   * What it sends, retries and parks is reported to `monitor` (the application's EventsMonitor).
   */
  async start(monitor?: TransportMonitor): Promise<void> {
    this.monitor = monitor ?? this.monitor;
    if (this.running) return;
    this.stopping = false;
    if (this.store.listen) {
      try {
        this.unlisten = await this.store.listen(this.destination, () => this.poke());
      } catch (error) {
        this.logger.warn(
          `Could not listen for new rows in ${this.store.description}; polling every ` +
            `${this.options.pollIntervalMs} ms instead (${describeError(error)})`,
        );
      }
    }
    this.running = this.loop(++this.generation);
  }

  /**
   * Stops taking new passes once the outbox has nothing due or `deadlineMs` has passed, whichever
   * is first: rows committed before the stop are sent if the broker takes them in time. The pass
   * in flight always finishes (its publish is bounded by `sendTimeoutMs`).
   */
  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.drainUntil = Date.now() + deadlineMs;
    this.stopping = true;
    this.poke();
    if (!(await settlesWithin(running, deadlineMs))) {
      this.logger.warn(
        `The relay pass in flight did not finish within the ${deadlineMs} ms drain deadline; ` +
          'its rows are released when it ends and sent by the next relay',
      );
    }
    this.running = undefined;
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
  }

  /** Wakes the loop for an early pass (rows were just committed in this process). */
  poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private report(notification: TransportNotification): void {
    if (this.monitor?.observed) this.monitor.notify(notification);
  }

  metrics(): OutboxRelayMetrics {
    return { ...this.counters, storeReachable: this.storeFailures === 0 };
  }

  private async loop(generation: number): Promise<void> {
    const replaced = () => generation !== this.generation;
    while (!replaced() && (!this.stopping || Date.now() < this.drainUntil)) {
      this.woken = false;
      // A pass that began after the stop was asked for sees every row committed before it.
      const drainPass = this.stopping;
      let claimed: number;
      let outcome = { sent: 0, failed: 0 };
      try {
        claimed = await this.store.relay(this.destination, this.options.batchSize, async (rows) => {
          const result = await this.send(rows);
          outcome = result.tally;
          return result.outcomes;
        });
        this.storeFailures = 0;
      } catch (error) {
        this.storeFailures++;
        this.counters.storeErrors++;
        this.counters.lastError = describeError(error);
        this.logger.warn(
          `Could not relay from ${this.store.description} (${this.counters.lastError}); ` +
            `trying again (failure ${this.storeFailures} in a row)`,
        );
        if (this.stopping || replaced()) return;
        await this.pause(backoffDelay(this.storeFailures, STORE_RETRY_BASE_MS, STORE_RETRY_MAX_MS));
        continue;
      }
      await this.purge();
      if (outcome.failed > 0 && outcome.sent === 0) {
        this.brokerFailures++;
        if (this.stopping || replaced()) return;
        // The broker refused everything: wait for it, whatever wakes the relay meanwhile.
        await this.pause(
          backoffDelay(
            this.brokerFailures,
            this.options.retryBaseDelayMs,
            this.options.retryMaxDelayMs,
          ),
          false,
        );
        continue;
      }
      this.brokerFailures = 0;
      // A full batch that moved means more is probably due: go on at once. One that sent nothing
      // (its rows wait for earlier ones held by another relay) waits like an empty one.
      if (claimed >= this.options.batchSize && outcome.sent > 0 && outcome.failed === 0) continue;
      if (this.stopping) {
        if (drainPass) return;
        continue;
      }
      await this.pause(this.options.pollIntervalMs);
    }
  }

  /** Sends the rows wave by wave; a row whose key failed earlier in the pass is deferred. */
  private async send(
    rows: readonly OutboxRow[],
  ): Promise<{ outcomes: OutboxRowOutcome[]; tally: { sent: number; failed: number } }> {
    const outcomes: OutboxRowOutcome[] = [];
    const blocked = new Set<string>();
    const tally = { sent: 0, failed: 0 };
    for (const wave of sendWaves(rows)) {
      const ready = wave.filter((row) => {
        if (row.orderKey === undefined || !blocked.has(row.orderKey)) return true;
        outcomes.push({ id: row.id, status: 'deferred' });
        return false;
      });
      if (ready.length === 0) continue;
      const failures = await this.publishWave(ready);
      const now = Date.now();
      for (const row of ready) {
        const failure = failures.get(row.envelope.id);
        if (failure === undefined) {
          outcomes.push({ id: row.id, status: 'sent' });
          tally.sent++;
          this.counters.sent++;
          const lagMs = now - Date.parse(row.envelope.occurredAt);
          this.counters.lastLagMs = lagMs;
          this.report({
            kind: 'outbox-relayed',
            event: row.envelope,
            transport: this.destination,
            lagMs,
          });
          continue;
        }
        tally.failed++;
        this.counters.failed++;
        this.counters.lastError = failure.text;
        if (row.orderKey !== undefined) blocked.add(row.orderKey);
        const attempt = row.attempts + 1;
        if (failure.final || attempt >= this.options.maxAttempts) {
          outcomes.push({ id: row.id, status: 'parked', error: failure.text });
          this.counters.parked++;
          this.report({
            kind: 'outbox-parked',
            event: row.envelope,
            transport: this.destination,
            attempts: attempt,
            error: new Error(failure.text),
          });
          this.logger.error(
            `Parked outbox row ${row.id} (event ${row.envelope.id}, ${row.envelope.type}) after ` +
              `${attempt} attempt(s): ${failure.text}. It stays in ${this.store.description} ` +
              'until requeued; later events of its order key are sent without it.',
          );
        } else {
          const delayMs = backoffDelay(
            attempt,
            this.options.retryBaseDelayMs,
            this.options.retryMaxDelayMs,
          );
          outcomes.push({ id: row.id, status: 'retry', delayMs, error: failure.text });
          this.report({
            kind: 'outbox-retrying',
            event: row.envelope,
            transport: this.destination,
            attempt,
            delayMs,
            error: new Error(failure.text),
          });
        }
      }
    }
    return { outcomes, tally };
  }

  /** Publishes one wave; the failures by event id (all of them when the whole call failed). */
  private async publishWave(
    rows: readonly OutboxRow[],
  ): Promise<Map<string, { text: string; final: boolean }>> {
    const failures = new Map<string, { text: string; final: boolean }>();
    try {
      await withTimeout(
        this.publish(rows.map((row) => row.envelope)),
        this.options.sendTimeoutMs,
        `publish did not settle within sendTimeoutMs (${this.options.sendTimeoutMs} ms)`,
      );
    } catch (error) {
      const text = describeError(error);
      // Waiting does not make an event smaller or valid: those are parked at once.
      const final = error instanceof OversizeEventError || error instanceof NonRetryableError;
      const failed =
        error instanceof PublishError
          ? new Set(error.failedEventIds)
          : error instanceof OversizeEventError
            ? new Set([error.eventId])
            : undefined;
      for (const row of rows) {
        if (!failed || failed.has(row.envelope.id)) failures.set(row.envelope.id, { text, final });
      }
      // A PublishError naming none of ours still failed: count the whole wave.
      if (failures.size === 0) {
        for (const row of rows) failures.set(row.envelope.id, { text, final });
      }
    }
    return failures;
  }

  private async purge(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < this.options.cleanupIntervalMs) return;
    this.lastPurge = now;
    try {
      const before = new Date(now - this.options.retentionMs);
      let deleted: number;
      do {
        deleted = await this.store.purgeSent(this.destination, before, PURGE_BATCH);
        this.counters.purged += deleted;
      } while (deleted === PURGE_BATCH && !this.stopping);
    } catch (error) {
      this.logger.warn(`Could not delete sent outbox rows (${describeError(error)})`);
    }
  }

  /** Sleeps `ms`, or less when poked (if `wakeable`) or stopped. */
  private pause(ms: number, wakeable = true): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (wakeable || this.stopping) done();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Outbox relay option ${name} must be a positive number, got ${value}.`);
  }
  return value;
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
