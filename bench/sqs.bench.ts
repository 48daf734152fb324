/**
 * The SNS/SQS transport against fauxqs (an SNS/SQS emulator, on loopback): SQS consumption with
 * a no-op handler (ours vs sqs-consumer vs hand-written SDK loops, at the same concurrency) and
 * SNS publishing (EventBus.publishAll vs one Publish call per event). Run with `npm run bench`, or
 * alone with `node --expose-gc bench/dist/sqs.bench.js`. Flags: --only=<part of a contender name>,
 * --messages=<n>, --events=<n>, --rounds=<n>, --latency=<ms> (added to each consumer's SQS call),
 * --handler-ms=<ms> (what each handler waits, on average, before it counts its message),
 * --profile=<dir> (CPU profiles of the measured consuming). To run one contender alone in this
 * process (it then starts a fauxqs of its own):
 *   node --expose-gc bench/dist/sqs.bench.js --child=consume --contender=ours --concurrency=10 \
 *     --profile=/tmp/sqs-prof
 */
// Handlers are async without awaiting on purpose: every contender's handler has the shape real
// handlers have (sqs-consumer requires one), so each pays for the promise it creates.
/* eslint-disable @typescript-eslint/require-await */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTopicCommand,
  PublishCommand,
  SNSClient,
  type MessageAttributeValue,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type DeleteMessageBatchResult,
  type Message,
} from '@aws-sdk/client-sqs';
import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBus,
  EventHandler,
  EventsModule,
  defineEvent,
  type EventEnvelope,
  type EventOf,
} from '@nestjs-events/core';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { EVENT_ATTRIBUTES } from '@nestjs-events/sqs';
import { startFauxqs } from '@sample/emulators';
import { Consumer } from 'sqs-consumer';
import { z } from 'zod';
import {
  gc,
  int,
  machine,
  markdownTable,
  median,
  type OrderPayload,
  recordResults,
} from './harness';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : 'true'] as const;
  }),
);
const MESSAGES = Number(args.get('messages') ?? 5_000);
const EVENTS = Number(args.get('events') ?? 10_000);
const ROUNDS = Number(args.get('rounds') ?? 3);
const WARMUP = 1_000;
const CONCURRENCIES = [10, 50];
/** Long-poll wait of every consumer: with the queue full, it only matters at the very end. */
const WAIT_SECONDS = 1;
/** Publish calls in flight for the one-call-per-event contender: the SDK's default socket pool. */
const NAIVE_IN_FLIGHT = 50;
/** A round that makes no progress for this long fails the bench instead of hanging it. */
const STALL_MS = 15_000;
/**
 * Extra milliseconds added to each SQS call of the consumers (--latency), to see how each copes
 * with an SQS that is not on loopback: real ReceiveMessage calls take several milliseconds.
 */
const LATENCY_MS = Number(args.get('latency') ?? 0);
/** Mean milliseconds every handler waits before it counts its message (--handler-ms). */
const HANDLER_MS = Number(args.get('handler-ms') ?? 0);
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

// --- The event, the handlers, and what is counted -----------------------------------------------

const OrderCreated = defineEvent({
  type: 'order.created',
  version: 1,
  schema: z.object({ orderId: z.string(), amount: z.number(), currency: z.string() }),
});

function payload(i: number): OrderPayload {
  return { orderId: `order-${String(i).padStart(6, '0')}`, amount: (i % 100) + 1, currency: 'EUR' };
}

/**
 * Handled messages (every contender's handler body is `progress.handled(amount)`) and deleted
 * ones (counted from DeleteMessageBatch responses). A round ends when both reach the number of
 * messages in the queue: a message counts once it is handled and acknowledged.
 */
class Progress {
  sink = 0;
  private handledCount = 0;
  private deletedCount = 0;
  private target = Infinity;
  private settle?: (error?: Error) => void;

  handled(amount: number): void {
    this.sink += amount;
    this.handledCount++;
    this.check();
  }

  deleted(count: number): void {
    this.deletedCount += count;
    this.check();
  }

  /** Ends the round with an error: a contender's consumer failed. */
  fail(error: unknown): void {
    this.settle?.(error instanceof Error ? error : new Error(String(error)));
  }

  /** Resolves once `count` messages are handled and deleted (counted from zero). */
  until(count: number): Promise<void> {
    this.handledCount = 0;
    this.deletedCount = 0;
    return new Promise((resolve, reject) => {
      let seen = -1;
      let lastProgressAt = performance.now();
      // Not what ends the round: a watchdog for a round that stopped making progress.
      const watchdog = setInterval(() => {
        const done = this.handledCount + this.deletedCount;
        if (done !== seen) {
          seen = done;
          lastProgressAt = performance.now();
        } else if (performance.now() - lastProgressAt > STALL_MS) {
          this.fail(
            `stalled: ${this.handledCount} handled and ${this.deletedCount} deleted of ${count}`,
          );
        }
      }, 1_000);
      this.target = count;
      this.settle = (error) => {
        clearInterval(watchdog);
        this.settle = undefined;
        this.target = Infinity;
        if (error) reject(error);
        else resolve();
      };
    });
  }

  private check(): void {
    if (this.handledCount >= this.target && this.deletedCount >= this.target) this.settle?.();
  }
}

const progress = new Progress();

/**
 * What every handler waits before it counts its message, with --handler-ms: a random 0.5 to 1.5
 * times that, as handlers that call something would. Awaited only with the flag: no promise more
 * on the default no-op path.
 */
const handlerWait = (): Promise<void> => sleep(HANDLER_MS * (0.5 + Math.random()));

/**
 * The handlers of a batch of sqs-consumer and of the raw loops, each after its handlerWait(); as
 * many promises as before the flag existed when it is not given.
 */
function handleBatch(messages: readonly Message[]): Promise<unknown> {
  const handle = () => Promise.all(messages.map(async (message) => handleBody(message)));
  return HANDLER_MS ? Promise.all(messages.map(handlerWait)).then(handle) : handle();
}

/** The handler of sqs-consumer and of the raw loops: what any SQS handler does first. */
function handleBody(message: Message): void {
  progress.handled((JSON.parse(message.Body!) as EventEnvelope<OrderPayload>).data.amount);
}

@Injectable()
class OrderCreatedHandler {
  @EventHandler(OrderCreated)
  async onOrderCreated(event: EventOf<typeof OrderCreated>): Promise<void> {
    if (HANDLER_MS) await handlerWait();
    progress.handled(event.data.amount);
  }
}

/** API calls by command, counted by a client middleware: every contender is counted alike. */
class ApiCalls {
  private readonly byCommand = new Map<string, number>();
  /** When the round's first ReceiveMessage call was sent: the consumption clock starts there. */
  firstReceiveAt: number | undefined;

  /**
   * @param fromFirstReceive count only from the first ReceiveMessage on: what a consumer does
   * before it polls (ours looks up its queue URLs) is setup, not consuming.
   */
  constructor(private readonly fromFirstReceive: boolean) {}

  count(command: string): void {
    if (command === 'ReceiveMessageCommand') this.firstReceiveAt ??= performance.now();
    if (this.fromFirstReceive && this.firstReceiveAt === undefined) return;
    this.byCommand.set(command, this.get(command) + 1);
  }

  get(command: string): number {
    return this.byCommand.get(command) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const count of this.byCommand.values()) sum += count;
    return sum;
  }

  reset(): void {
    this.byCommand.clear();
    this.firstReceiveAt = undefined;
  }
}

function awsConfig(endpoint: string) {
  return { region: REGION, endpoint, credentials: CREDENTIALS };
}

/** An SQS client whose calls are counted and whose successful deletes feed `progress`. */
function countedSqsClient(endpoint: string, calls: ApiCalls): SQSClient {
  const client = new SQSClient(awsConfig(endpoint));
  client.middlewareStack.add(
    (next, context) => async (input) => {
      const command = context.commandName ?? 'unknown';
      calls.count(command);
      if (LATENCY_MS) await sleep(LATENCY_MS);
      const result = await next(input);
      if (command === 'DeleteMessageBatchCommand') {
        progress.deleted((result.output as DeleteMessageBatchResult).Successful?.length ?? 0);
      }
      return result;
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return client;
}

function countedSnsClient(endpoint: string, calls: ApiCalls): SNSClient {
  const client = new SNSClient(awsConfig(endpoint));
  client.middlewareStack.add(
    (next, context) => async (input) => {
      calls.count(context.commandName ?? 'unknown');
      return next(input);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return client;
}

function boot(transport: SnsSqsTransport, providers: Type[]): Promise<INestApplicationContext> {
  @Module({
    imports: [EventsModule.forRoot({ source: 'bench', transports: [transport] })],
    providers,
  })
  class BenchModule {}
  return NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
}

// --- Consumption contenders ---------------------------------------------------------------------

interface Queue {
  readonly name: string;
  readonly url: string;
}

interface ConsumeContext {
  readonly endpoint: string;
  /** The counted client every contender consumes with. */
  readonly client: SQSClient;
  readonly queue: Queue;
  readonly concurrency: number;
}

/** A contender consuming one queue, from its start until `stop()`. */
interface Consuming {
  stop(): Promise<void>;
}

interface ConsumeContender {
  readonly name: string;
  start(context: ConsumeContext): Promise<Consuming>;
}

const OURS = 'ours (SnsSqsTransport)';
const OURS_PREFETCH = 'ours, prefetch: 10';
const SQS_CONSUMER = 'sqs-consumer';
const RAW = 'raw SDK loops';

/** Ours with the queue options the row names, on top of the concurrency and the wait. */
function ours(name: string, options: { prefetch?: number } = {}): ConsumeContender {
  return {
    name,
    async start({ endpoint, client, queue, concurrency }) {
      const transport = new SnsSqsTransport({
        ...awsConfig(endpoint),
        // The counted client: the transport uses it as given and leaves closing it to us.
        sqsClient: client,
        queues: [{ name: queue.name, concurrency, waitTimeSeconds: WAIT_SECONDS, ...options }],
      });
      // The consumer starts polling once the application has started.
      const app = await boot(transport, [OrderCreatedHandler]);
      return {
        stop: () => app.close(),
      };
    },
  };
}

const consumeContenders: ConsumeContender[] = [
  ours(OURS),
  ours(OURS_PREFETCH, { prefetch: 10 }),
  {
    name: SQS_CONSUMER,
    // It has no concurrency option: a Consumer handles one batch at a time, deletes it, then
    // polls again. More throughput means more Consumers on the queue: concurrency / 10 of them.
    async start({ client, queue, concurrency }) {
      const consumers = Array.from({ length: concurrency / 10 }, () =>
        Consumer.create({
          queueUrl: queue.url,
          sqs: client,
          batchSize: 10,
          waitTimeSeconds: WAIT_SECONDS,
          handleMessageBatch: async (messages) => {
            if (HANDLER_MS) await handleBatch(messages);
            else messages.forEach(handleBody);
            return messages;
          },
        }),
      );
      for (const consumer of consumers) {
        // stop() aborts the poll under way, which is reported as an error; nothing else may fail.
        consumer.on('error', (error) => {
          if (consumer.status.isRunning) progress.fail(error);
        });
        consumer.on('processing_error', (error) => progress.fail(error));
        consumer.start();
      }
      return {
        async stop() {
          await Promise.all(
            consumers.map(
              (consumer) =>
                new Promise<void>((resolve) => {
                  consumer.once('stopped', () => resolve());
                  consumer.stop({ abort: true });
                }),
            ),
          );
        },
      };
    },
  },
  rawLoops(`${RAW}: receive → handle → delete`, false),
  rawLoops(`${RAW}: delete in background`, true),
];

/**
 * `concurrency / 10` loops of ReceiveMessage(10) → handle the batch → DeleteMessageBatch, each
 * handling at most 10 messages at a time, so the concurrency is the other contenders'. With
 * `backgroundDeletes` a loop receives again as soon as its batch is handled.
 */
function rawLoops(name: string, backgroundDeletes: boolean): ConsumeContender {
  return {
    name,
    async start({ client, queue, concurrency }) {
      let running = true;
      const abort = new AbortController();
      const loop = async () => {
        const deletes = new Set<Promise<unknown>>();
        while (running) {
          let messages: Message[] | undefined;
          try {
            ({ Messages: messages } = await client.send(
              new ReceiveMessageCommand({
                QueueUrl: queue.url,
                MaxNumberOfMessages: 10,
                WaitTimeSeconds: WAIT_SECONDS,
              }),
              { abortSignal: abort.signal },
            ));
          } catch (error) {
            if (running) progress.fail(error);
            break;
          }
          if (!messages?.length) continue;
          await handleBatch(messages);
          const deleted = client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
          if (!backgroundDeletes) {
            await deleted;
            continue;
          }
          const tracked = deleted.finally(() => deletes.delete(tracked));
          deletes.add(tracked);
        }
        await Promise.all(deletes);
      };
      const loops = Array.from({ length: concurrency / 10 }, loop);
      return {
        async stop() {
          running = false;
          abort.abort();
          await Promise.all(loops);
        },
      };
    },
  };
}

// --- Consumption rounds (in a child process) ----------------------------------------------------

/** One measured round; API calls are per message. */
interface ConsumeRound {
  readonly rate: number;
  readonly receive: number;
  readonly delete: number;
  /** Any other call made while consuming (none expected: no retries, no visibility changes). */
  readonly other: number;
}

function uniqueName(prefix: string): string {
  return `bench-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh queue with a dead-letter queue, as ours requires and as production queues have. */
async function createQueue(admin: SQSClient, prefix: string): Promise<Queue> {
  const name = uniqueName(prefix);
  const dlq = await admin.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { Attributes } = await admin.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl } = await admin.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes!.QueueArn,
          maxReceiveCount: 5,
        }),
      },
    }),
  );
  return { name, url: QueueUrl! };
}

/** Puts `count` envelopes of `order.created` in the queue, 10 per call, 20 calls at a time. */
async function fill(admin: SQSClient, queue: Queue, count: number): Promise<void> {
  let next = 0;
  const sender = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + 10);
      const entries = [];
      for (let i = from; i < next; i++) {
        const event = OrderCreated.create(payload(i), { source: 'bench' });
        entries.push({ Id: String(i - from), MessageBody: JSON.stringify(event) });
      }
      const { Failed } = await admin.send(
        new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }),
      );
      if (Failed?.length) throw new Error(`SendMessageBatch failed: ${Failed[0].Message}`);
    }
  };
  await Promise.all(Array.from({ length: 20 }, sender));
}

async function queueDepth(admin: SQSClient, queue: Queue): Promise<number> {
  const { Attributes } = await admin.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

/**
 * With --profile=<dir>, a CPU profile of the consuming part of each measured round, written as
 * `<dir>/<contender>-c<concurrency>-<round>.cpuprofile` (node --cpu-prof would also take in the
 * queue fills and the application boots, which cost as much).
 */
async function profiler(name: string): Promise<((round: number) => Promise<void>) | undefined> {
  const dir = args.get('profile');
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async (round) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    const file = `${name.replace(/[^\w-]+/g, '-')}-${round}.cpuprofile`;
    writeFileSync(join(dir, file), JSON.stringify(profile));
  };
}

/** What a child process runs: a warm-up at creation, then rounds on demand. */
interface Worker<R> {
  round(): Promise<R>;
  close(): Promise<void>;
}

/**
 * Each round gets a fresh, full queue and a freshly started contender, and runs from the first
 * ReceiveMessage until every message is handled and deleted. Fresh queues because a long poll
 * that stop() aborts stays open in fauxqs, and would take (and hide for the visibility timeout)
 * the first messages put in the same queue afterwards.
 */
async function consumeWorker(
  endpoint: string,
  contender: ConsumeContender,
  concurrency: number,
): Promise<Worker<ConsumeRound>> {
  const admin = new SQSClient(awsConfig(endpoint));
  const calls = new ApiCalls(true);
  const client = countedSqsClient(endpoint, calls);
  let measured = 0;
  const round = async (messages: number, warmUp = false): Promise<ConsumeRound> => {
    const queue = await createQueue(admin, `c${concurrency}`);
    await fill(admin, queue, messages);
    calls.reset();
    gc();
    const done = progress.until(messages);
    const consuming = await contender.start({ endpoint, client, queue, concurrency });
    const profile = warmUp ? undefined : await profiler(`${contender.name}-c${concurrency}`);
    try {
      await done;
    } catch (error) {
      await consuming.stop();
      throw error;
    }
    const ms = performance.now() - calls.firstReceiveAt!;
    await profile?.(++measured);
    // Read before stopping: what stop() does (abort a long poll) is not part of the work.
    const receive = calls.get('ReceiveMessageCommand');
    const deleted = calls.get('DeleteMessageBatchCommand');
    const other = calls.total() - receive - deleted;
    await consuming.stop();
    const left = await queueDepth(admin, queue);
    if (left) throw new Error(`${left} message(s) left in the queue after the round`);
    return {
      rate: (messages / ms) * 1000,
      receive: receive / messages,
      delete: deleted / messages,
      other: other / messages,
    };
  };
  // Warms up V8, the connection pool and fauxqs; not reported.
  await round(WARMUP, true);
  return {
    round: () => round(MESSAGES),
    close: async () => {
      client.destroy();
      admin.destroy();
    },
  };
}

// --- Publishing ---------------------------------------------------------------------------------

interface Publishing {
  /** Resolves once every event is accepted by SNS. */
  publish(events: EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

interface PublishContender {
  readonly name: string;
  start(endpoint: string, topicArn: string, calls: ApiCalls): Promise<Publishing>;
}

/** One measured round; API calls are per event. */
interface PublishRound {
  readonly rate: number;
  readonly calls: number;
}

const OURS_PUBLISH = 'ours: EventBus.publishAll';
const NAIVE_PUBLISH = 'one Publish call per event';

/** The attributes our publisher sends, so that both contenders send the same messages. */
function attributesOf(event: EventEnvelope): Record<string, MessageAttributeValue> {
  return {
    [EVENT_ATTRIBUTES.type]: { DataType: 'String', StringValue: event.type },
    [EVENT_ATTRIBUTES.version]: { DataType: 'Number', StringValue: String(event.version) },
    [EVENT_ATTRIBUTES.source]: { DataType: 'String', StringValue: event.source },
    [EVENT_ATTRIBUTES.correlationId]: {
      DataType: 'String',
      StringValue: event.metadata.correlationId,
    },
  };
}

const publishContenders: PublishContender[] = [
  {
    name: OURS_PUBLISH,
    async start(endpoint, topicArn, calls) {
      const client = countedSnsClient(endpoint, calls);
      const transport = new SnsSqsTransport({
        ...awsConfig(endpoint),
        snsClient: client,
        topics: { arn: topicArn },
      });
      const app = await boot(transport, []);
      const bus = app.get(EventBus);
      return {
        publish: (events) => bus.publishAll(events),
        close: async () => {
          await app.close();
          client.destroy();
        },
      };
    },
  },
  {
    name: NAIVE_PUBLISH,
    async start(endpoint, topicArn, calls) {
      const client = countedSnsClient(endpoint, calls);
      return {
        async publish(events) {
          let next = 0;
          const sender = async () => {
            while (next < events.length) {
              const event = events[next++];
              await client.send(
                new PublishCommand({
                  TopicArn: topicArn,
                  Message: JSON.stringify(event),
                  MessageAttributes: attributesOf(event),
                }),
              );
            }
          };
          await Promise.all(Array.from({ length: NAIVE_IN_FLIGHT }, sender));
        },
        close: async () => client.destroy(),
      };
    },
  },
];

async function publishWorker(
  endpoint: string,
  contender: PublishContender,
): Promise<Worker<PublishRound>> {
  const admin = new SNSClient(awsConfig(endpoint));
  // No subscription: fauxqs accepts publishing to a topic nobody listens to, as SNS does, so
  // what is measured is the publisher, not the fan-out to queues.
  const { TopicArn } = await admin.send(new CreateTopicCommand({ Name: uniqueName('topic') }));
  admin.destroy();
  const calls = new ApiCalls(false);
  const publishing = await contender.start(endpoint, TopicArn!, calls);
  const round = async (count: number): Promise<PublishRound> => {
    // Created before the clock starts, the same way for both contenders.
    const events = Array.from({ length: count }, (_, i) => OrderCreated.create(payload(i)));
    calls.reset();
    gc();
    const started = performance.now();
    await publishing.publish(events);
    const ms = performance.now() - started;
    return {
      rate: (count / ms) * 1000,
      calls: calls.total() / count,
    };
  };
  await round(WARMUP);
  return { round: () => round(EVENTS), close: () => publishing.close() };
}

// --- Processes ----------------------------------------------------------------------------------

function named<T extends { name: string }>(list: readonly T[], name: string | undefined): T {
  // The exact name, or else the first that starts with it (--contender=ours).
  const found =
    list.find((c) => c.name === name) ?? list.find((c) => name && c.name.startsWith(name));
  if (!found) {
    throw new Error(
      `No contender named ${JSON.stringify(name)}; known: ${list.map((c) => c.name).join(', ')}`,
    );
  }
  return found;
}

/**
 * A child's part: warm up, say 'ready', then run a round per 'round' message until 'close'.
 * Run alone (without --endpoint) it starts its own fauxqs, runs its rounds and prints them.
 */
async function child(part: string): Promise<void> {
  const own = args.has('endpoint') ? undefined : await startFauxqs();
  const endpoint = args.get('endpoint') ?? own!.endpoint;
  const worker: Worker<unknown> =
    part === 'consume'
      ? await consumeWorker(
          endpoint,
          named(consumeContenders, args.get('contender')),
          Number(args.get('concurrency') ?? 10),
        )
      : await publishWorker(endpoint, named(publishContenders, args.get('contender')));
  const send = process.send?.bind(process);
  if (!send) {
    try {
      for (let round = 1; round <= ROUNDS; round++) console.log(await worker.round());
    } finally {
      await worker.close();
      await own?.stop();
    }
    return;
  }
  process.on('message', (message) => {
    const work =
      message === 'round'
        ? worker.round().then((result) => void send(result))
        : // The IPC channel would keep this process alive; let go of it once closed.
          worker.close().then(() => process.disconnect());
    work.catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
  send('ready');
}

/** A child process running one contender, driven round by round. */
class Child<R> {
  private pending?: { resolve: (message: unknown) => void; reject: (error: Error) => void };
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly process: ChildProcess,
    private readonly label: string,
  ) {
    process.on('message', (message) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(message);
    });
    this.exited = new Promise((resolve) =>
      process.once('exit', (code) => {
        this.exitCode = code;
        this.pending?.reject(new Error(`${label} exited with code ${code}`));
        resolve();
      }),
    );
  }

  /** Forks this script as `childArgs` and resolves once its warm-up is done. */
  static async start<R>(label: string, childArgs: readonly string[]): Promise<Child<R>> {
    const passed = ['messages', 'events', 'rounds', 'profile', 'latency', 'handler-ms'].filter(
      (key) => args.has(key),
    );
    const child = new Child<R>(
      fork(__filename, [...childArgs, ...passed.map((key) => `--${key}=${args.get(key)}`)], {
        // The SDK's notice that it will require Node 22 from 2027 would be printed by each child.
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      }),
      label,
    );
    await child.reply();
    return child;
  }

  round(): Promise<R> {
    const result = this.reply<R>();
    this.process.send('round');
    return result;
  }

  /** Asks the child to close what it opened, and fails if it then does not exit by itself. */
  async close(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.process.send('close');
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), 10_000);
    });
    const hung = await Promise.race([this.exited.then(() => false), stuck]);
    clearTimeout(timer);
    if (hung) {
      this.process.kill();
      throw new Error(`${this.label} did not exit by itself once closed`);
    }
  }

  kill(): void {
    if (this.exitCode === undefined) this.process.kill();
  }

  private reply<T>(): Promise<T> {
    if (this.exitCode !== undefined) {
      return Promise.reject(new Error(`${this.label} exited with code ${this.exitCode}`));
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve: (message) => resolve(message as T), reject };
    });
  }
}

/**
 * Starts one child per entry (warm-ups one after another), then runs the rounds interleaved:
 * round 1 of every contender, then round 2, and so on. The machine's load drifts over a run;
 * interleaving spreads the drift over all contenders instead of penalising whichever ran then.
 */
async function interleaved<R>(
  entries: ReadonlyArray<{ label: string; childArgs: readonly string[] }>,
  describe: (result: R) => string,
): Promise<Map<string, R[]>> {
  const children: Array<{ label: string; child: Child<R> }> = [];
  try {
    for (const { label, childArgs } of entries) {
      console.error(`  warming up ${label}…`);
      children.push({ label, child: await Child.start<R>(label, childArgs) });
    }
    const results = new Map<string, R[]>(entries.map(({ label }) => [label, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { label, child } of children) {
        const result = await child.round();
        results.get(label)!.push(result);
        console.error(`  ${label}, round ${round}: ${describe(result)}`);
      }
    }
    for (const { child } of children) await child.close();
    return results;
  } finally {
    for (const { child } of children) child.kill();
  }
}

// --- Report -------------------------------------------------------------------------------------

const ratio = (value: number, base: number | undefined) =>
  base ? `${(value / base).toFixed(2)}×` : 'n/a';
const perUnit = (value: number) => value.toFixed(3);

/** The median round by rate (the lower middle one for an even count). */
function medianRound<T extends { rate: number }>(rounds: readonly T[]): T {
  return [...rounds].sort((a, b) => a.rate - b.rate)[(rounds.length - 1) >> 1];
}

const range = (rounds: ReadonlyArray<{ rate: number }>) =>
  `${int(Math.min(...rounds.map((r) => r.rate)))}–${int(Math.max(...rounds.map((r) => r.rate)))}`;

const consumeLabel = (name: string, concurrency: number) => `${name}, concurrency ${concurrency}`;

function reportConsumption(
  contenders: readonly ConsumeContender[],
  results: Map<string, ConsumeRound[]>,
): string[] {
  const misses: string[] = [];
  const notes: string[] = [];
  const rows: string[][] = [];
  for (const concurrency of CONCURRENCIES) {
    const at = (name: string) => results.get(consumeLabel(name, concurrency));
    const rateOf = (name: string) => {
      const rounds = at(name);
      return rounds && median(rounds.map((r) => r.rate));
    };
    const raws = contenders
      .filter((c) => c.name.startsWith(RAW) && at(c.name))
      .map((c) => rateOf(c.name)!);
    const bestRaw = raws.length ? Math.max(...raws) : undefined;
    const baseline = rateOf(SQS_CONSUMER);
    for (const { name } of contenders) {
      const rounds = at(name);
      if (!rounds) continue;
      const rate = rateOf(name)!;
      const middle = medianRound(rounds);
      rows.push([
        name,
        String(concurrency),
        int(rate),
        range(rounds),
        ratio(rate, baseline),
        ratio(rate, bestRaw),
        perUnit(middle.receive + middle.delete),
      ]);
    }
    for (const name of [OURS, OURS_PREFETCH]) {
      const ours = at(name);
      if (!ours) continue;
      const rate = rateOf(name)!;
      const check = (label: string, actual: number, target: number) => {
        const met = actual >= target;
        if (!met) misses.push(`${name}, ${label} at concurrency ${concurrency}`);
        notes.push(
          `- concurrency ${concurrency}, ${name}, ${label}: ${actual.toFixed(2)}× (${met ? 'met' : 'MISSED'})`,
        );
      };
      if (baseline) check('≥ 2× sqs-consumer', rate / baseline, 2);
      if (bestRaw) check('≥ 1.0× the best raw loop', rate / bestRaw, 1);
      const middle = medianRound(ours);
      notes.push(
        `- concurrency ${concurrency}, ${name}, API calls per message: ${perUnit(middle.receive)} ` +
          `receive + ${perUnit(middle.delete)} delete = ${perUnit(middle.receive + middle.delete)} ` +
          `(other calls: ${perUnit(middle.other)})`,
      );
    }
  }
  console.log(
    markdownTable(
      [
        'contender',
        'concurrency',
        'messages/s',
        'rounds',
        'vs sqs-consumer',
        'vs best raw',
        'API calls/message',
      ],
      rows,
    ),
  );
  if (notes.length) console.log(`\nTargets for ours:\n${notes.join('\n')}`);
  return misses;
}

function reportPublishing(results: Map<string, PublishRound[]>): string[] {
  const rateOf = (name: string) => {
    const rounds = results.get(name);
    return rounds && median(rounds.map((r) => r.rate));
  };
  const naive = rateOf(NAIVE_PUBLISH);
  console.log(
    markdownTable(
      ['contender', 'events/s', 'rounds', 'vs one call per event', 'API calls/event'],
      [...results].map(([name, rounds]) => [
        name,
        int(rateOf(name)!),
        range(rounds),
        ratio(rateOf(name)!, naive),
        perUnit(medianRound(rounds).calls),
      ]),
    ),
  );
  const ours = results.get(OURS_PUBLISH);
  if (!ours) return [];
  const { calls } = medianRound(ours);
  const met = calls <= 0.11;
  console.log(
    `\nTarget for ours: ≤ 0.11 API calls per event: ${perUnit(calls)} (${met ? 'met' : 'MISSED'})`,
  );
  return met ? [] : ['≤ 0.11 API calls per event'];
}

// --- Main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const part = args.get('child');
  if (part) return child(part);
  const started = performance.now();
  const recording = recordResults('sqs');
  const only = args.get('only');
  const selected = <T extends { name: string }>(list: readonly T[]) =>
    list.filter((c) => !only || c.name.includes(only));
  const misses: string[] = [];
  const fauxqs = await startFauxqs();
  try {
    console.log(`${machine()}; fauxqs ${fauxqsVersion()} on ${fauxqs.endpoint}`);
    const consumers = selected(consumeContenders);
    if (consumers.length) {
      console.log(
        `\nSQS consumption: median of ${ROUNDS} rounds of ${int(MESSAGES)} messages, after a ` +
          `${int(WARMUP)}-message warm-up; each round on a fresh full queue, from the first ` +
          `ReceiveMessage until every message is handled and deleted; one process per contender ` +
          `and concurrency, rounds interleaved. At concurrency C, ours runs one consumer with ` +
          `concurrency C; sqs-consumer C / 10 Consumers (handleMessageBatch, batchSize 10); the ` +
          `raw variants C / 10 loops of ReceiveMessage(10).` +
          (LATENCY_MS ? ` Each consumer's SQS call is delayed by ${LATENCY_MS} ms.` : '') +
          (HANDLER_MS
            ? ` Each handler waits 0.5 to 1.5 × ${HANDLER_MS} ms (at random) before it counts its message.`
            : '') +
          '\n',
      );
      const results = await interleaved<ConsumeRound>(
        CONCURRENCIES.flatMap((concurrency) =>
          consumers.map(({ name }) => ({
            label: consumeLabel(name, concurrency),
            childArgs: [
              '--child=consume',
              `--endpoint=${fauxqs.endpoint}`,
              `--contender=${name}`,
              `--concurrency=${concurrency}`,
            ],
          })),
        ),
        (round) => `${int(round.rate)} messages/s`,
      );
      misses.push(...reportConsumption(consumers, results));
    }
    const publishers = selected(publishContenders);
    if (publishers.length) {
      console.log(
        `\nSNS publishing: median of ${ROUNDS} rounds of ${int(EVENTS)} events, after a ` +
          `${int(WARMUP)}-event warm-up, to a topic without subscriptions; ours sends them in one ` +
          `publishAll, the other with ${NAIVE_IN_FLIGHT} Publish calls in flight; one process ` +
          `per contender, rounds interleaved\n`,
      );
      const results = await interleaved<PublishRound>(
        publishers.map(({ name }) => ({
          label: name,
          childArgs: ['--child=publish', `--endpoint=${fauxqs.endpoint}`, `--contender=${name}`],
        })),
        (round) => `${int(round.rate)} events/s`,
      );
      misses.push(...reportPublishing(results));
    }
  } finally {
    await fauxqs.stop();
  }
  console.log(`\nTotal bench time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Missed targets are reported, not failed: the figures depend on the machine.
  if (misses.length) console.log(`Targets missed: ${misses.join('; ')}`);
  await recording.write();
}

function fauxqsVersion(): string {
  // Read from the file: fauxqs's exports do not include its package.json.
  const file = join(__dirname, '..', '..', 'node_modules', 'fauxqs', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
