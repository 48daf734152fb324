import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { endpointOf, uniqueName, type Emulator } from '../fixtures/aws';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';
import { LedgerReader } from './ledger.reader';
import { recordRow, type ScenarioRow } from './results.table';
import { startWorker, type WorkerProcess } from './worker.process';

export interface ScenarioOptions {
  /** fauxqs for SNS/SQS (default), moto for EventBridge. */
  readonly emulator?: Emulator;
  readonly transport?: 'sns-sqs' | 'eventbridge';
}

/** How a list of sent events ended, from the ledger. */
export interface Accounting {
  /** Sent events applied at least once. */
  readonly applied: number;
  /** Sent events applied more than once. */
  readonly twice: number;
  /** Sent events neither applied nor expected in the dead-letter queue. */
  readonly lost: number;
  readonly lostIds: string[];
  readonly twiceIds: string[];
  /** Applied events that were never reported as sent (a publisher said "failed" wrongly). */
  readonly strangers: string[];
}

/**
 * One scenario's run: unique names for its queue, topic and Redis keys, its worker processes,
 * and the counting. Every wait is bounded polling on a count; nothing sleeps for a fixed time.
 */
export class Scenario {
  readonly run: string;
  readonly queue: string;
  readonly topicPrefix: string;
  readonly eventBus: string;
  readonly emulator: Emulator;
  readonly transport: 'sns-sqs' | 'eventbridge';
  readonly ledger: LedgerReader;
  readonly queues: QueueInspector;
  readonly workers: WorkerProcess[] = [];
  private readonly startedAt = Date.now();

  constructor(
    readonly id: string,
    options: ScenarioOptions = {},
  ) {
    this.run = uniqueName(id.toLowerCase());
    this.queue = `${this.run}-q`;
    this.topicPrefix = `${this.run}-`;
    this.eventBus = `${this.run}-bus`;
    this.emulator = options.emulator ?? 'fauxqs';
    this.transport = options.transport ?? 'sns-sqs';
    this.ledger = new LedgerReader(process.env.REDIS_URL!, this.run);
    this.queues = new QueueInspector(this.emulator);
  }

  /** The emulator itself (fault proxies sit in front of it). */
  get endpoint(): string {
    return endpointOf(this.emulator);
  }

  get dlq(): string {
    return `${this.queue}-dlq`;
  }

  get seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Starts a worker on this scenario's queue; it provisions its queue, DLQ and subscription. */
  async startWorker(name: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = await startWorker(name, {
      RUN_ID: this.run,
      REDIS_URL: process.env.REDIS_URL!,
      EVENTS_TRANSPORT: this.transport,
      EVENTS_ENDPOINT: this.endpoint,
      EVENTS_QUEUE: this.queue,
      EVENTS_TOPIC_PREFIX: this.topicPrefix,
      EVENT_BUS_NAME: this.eventBus,
      EVENTS_PROVISION: 'true',
      ...env,
    });
    this.workers.push(worker);
    return worker;
  }

  waitForApplied(count: number, timeoutMs: number): Promise<void> {
    return until(
      async () => (await this.ledger.appliedCount()) >= count,
      timeoutMs,
      `${count} events applied in ${this.id}`,
    );
  }

  /** Messages in a queue, visible or not. */
  async depth(queue = this.queue): Promise<number> {
    const { visible, inFlight } = await this.queues.depth(queue);
    return visible + inFlight;
  }

  waitForEmptyQueue(queue = this.queue, timeoutMs = 30_000): Promise<void> {
    return until(async () => (await this.depth(queue)) === 0, timeoutMs, `${queue} to be empty`);
  }

  /** Sends raw bodies straight to the queue, ten per SendMessageBatch. */
  async sendRaw(bodies: readonly string[], queue = this.queue): Promise<void> {
    const url = await this.queues.url(queue);
    for (let start = 0; start < bodies.length; start += 10) {
      const { Failed } = await this.queues.client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: bodies
            .slice(start, start + 10)
            .map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
      if (Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(Failed)}`);
    }
  }

  /** Receives every message of the dead-letter queue (they stay invisible: read once). */
  async deadLetters(expected: number, timeoutMs = 20_000): Promise<Message[]> {
    const messages = await this.queues.drain(this.dlq, expected, timeoutMs);
    // Anything beyond what was expected is read too, so that it shows in the count.
    for (;;) {
      const more = await this.queues.drain(this.dlq, 1, 1000);
      if (more.length === 0) return messages;
      messages.push(...more);
    }
  }

  /** lost = sent − applied − expected in the DLQ, event by event. */
  async account(sent: readonly string[], expectedInDlq: ReadonlySet<string> = new Set()) {
    const applied = await this.ledger.applied();
    const sentIds = new Set(sent);
    const lostIds: string[] = [];
    const twiceIds: string[] = [];
    let appliedCount = 0;
    for (const id of sentIds) {
      const times = applied.get(id) ?? 0;
      if (times >= 1) appliedCount++;
      if (times >= 2) twiceIds.push(id);
      if (times === 0 && !expectedInDlq.has(id)) lostIds.push(id);
    }
    const accounting: Accounting = {
      applied: appliedCount,
      twice: twiceIds.length,
      lost: lostIds.length,
      lostIds,
      twiceIds,
      strangers: [...applied.keys()].filter((id) => !sentIds.has(id)),
    };
    return accounting;
  }

  record(row: Omit<ScenarioRow, 'seconds'>): void {
    recordRow({ ...row, seconds: this.seconds });
  }

  /**
   * Kills what is left of the workers and keeps their output next to the results (CI can keep
   * it); on failure, prints the end of it.
   */
  async close(failed: boolean): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.kill('SIGKILL')));
    const logs = process.env.RELIABILITY_LOGS;
    for (const worker of this.workers) {
      if (logs) writeFileSync(join(logs, `${this.run}-${worker.name}.log`), worker.output());
      if (failed)
        console.error(`--- ${this.id} ${worker.name} ---\n${worker.output().slice(-8000)}`);
    }
    this.queues.close();
    await this.ledger.close();
  }
}

/** Runs `body` with a scenario, closing it whatever happens. */
export async function withScenario<T>(
  scenario: Scenario,
  body: (scenario: Scenario) => Promise<T>,
): Promise<T> {
  let failed = true;
  try {
    const result = await body(scenario);
    failed = false;
    return result;
  } finally {
    await scenario.close(failed);
  }
}
