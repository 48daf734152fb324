import type * as Sqs from '@aws-sdk/client-sqs';
import type { EventEnvelope } from '@nestjs-events/core';
import { compilePattern, type EventMatcher } from '@nestjs-events/event-patterns';
import { CliUsageError } from '../cli/cli.error';
import {
  loadSqsTransportPackage,
  tryLoadEventBridgeUnwrapper,
  type SqsSdkModule,
} from '../loading/optional-packages';
import { textTable } from '../topology/text.table';
import {
  deleteMessages,
  release,
  resolveDeadLetterQueues,
  scanQueue,
  urlOf,
  type ReceivedMessage,
} from './dead-letter.queue';

type SqsSdk = SqsSdkModule;

/** Where the commands write: results to `out`, progress and notes to `err`. */
export interface DeadLetterIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when `err` is a terminal: progress then rewrites one line. */
  readonly progressInPlace: boolean;
}

export interface DeadLetterContext {
  readonly sdk: SqsSdk;
  readonly client: Sqs.SQSClient;
  readonly io: DeadLetterIo;
  /** How long each received message stays hidden from others while the command works. */
  readonly visibilitySeconds: number;
}

const DEAD_LETTER_PREFIX = 'dead-letter-';
const attr = (message: Sqs.Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

/** `dlq <queue> list`: one line per message with why it is there; never the payload. */
export async function listDeadLetters(context: DeadLetterContext, queue: string): Promise<number> {
  const { sdk, client, io } = context;
  const queues = await resolveDeadLetterQueues(sdk, client, queue);
  const received: ReceivedMessage[] = [];
  const progress = new Progress(io, 'read');
  try {
    await scanQueue(sdk, client, queues.deadLetterUrl, context.visibilitySeconds, (batch) => {
      received.push(...batch);
      progress.add(batch.length);
      return Promise.resolve();
    });
  } finally {
    progress.done();
    await release(sdk, client, queues.deadLetterUrl, received);
  }
  io.out(`Dead-letter queue ${queues.deadLetterName}: ${received.length} message(s)\n`);
  if (received.length) {
    const rows = received.map((message) => [
      message.MessageId,
      attr(message, 'event-type') ?? typeOf(message) ?? '?',
      attr(message, `${DEAD_LETTER_PREFIX}reason`) ??
        // What EventBridge records when it could not deliver to the queue.
        (attr(message, 'ERROR_CODE') ? `eventbridge: ${attr(message, 'ERROR_CODE')}` : undefined) ??
        'redrive policy (no reason recorded)',
      attr(message, `${DEAD_LETTER_PREFIX}handler`) ?? '-',
      attr(message, `${DEAD_LETTER_PREFIX}attempts`) ??
        message.Attributes?.ApproximateReceiveCount ??
        '-',
      attr(message, `${DEAD_LETTER_PREFIX}source-queue`) ?? queues.sourceName ?? '-',
      oneLine(
        attr(message, `${DEAD_LETTER_PREFIX}error`) ?? attr(message, 'ERROR_MESSAGE') ?? '-',
        120,
      ),
    ]);
    io.out(
      textTable(
        ['MESSAGE ID', 'EVENT TYPE', 'REASON', 'HANDLER', 'ATTEMPTS', 'SOURCE QUEUE', 'ERROR'],
        rows,
      ) + '\n',
    );
  }
  return received.length;
}

/** `dlq <queue> show <id>`: the message's attributes and body (asked for, so printed). */
export async function showDeadLetter(
  context: DeadLetterContext,
  queue: string,
  messageId: string,
): Promise<boolean> {
  const { sdk, client, io } = context;
  const queues = await resolveDeadLetterQueues(sdk, client, queue);
  const received: ReceivedMessage[] = [];
  let found: ReceivedMessage | undefined;
  try {
    await scanQueue(sdk, client, queues.deadLetterUrl, context.visibilitySeconds, (batch) => {
      received.push(...batch);
      found ??= batch.find((message) => message.MessageId === messageId);
      return Promise.resolve(found ? false : undefined);
    });
  } finally {
    await release(sdk, client, queues.deadLetterUrl, received);
  }
  if (!found) {
    io.err(
      `No message ${messageId} in ${queues.deadLetterName}. List the ids with: dlq ${queue} list\n`,
    );
    return false;
  }
  const attributes = Object.entries(found.MessageAttributes ?? {}).map(([name, value]) => [
    name,
    value.StringValue ?? '(binary)',
  ]);
  io.out(`Message ${found.MessageId} in ${queues.deadLetterName}\n`);
  io.out(
    textTable(
      ['ATTRIBUTE', 'VALUE'],
      [
        ['(sent)', sentAt(found)],
        ['(receives)', found.Attributes?.ApproximateReceiveCount ?? '-'],
        ...attributes,
      ],
    ) + '\n',
  );
  io.out(`Body:\n${pretty(found.Body ?? '')}\n`);
  return true;
}

/** What `redrive` did. */
export interface RedriveResult {
  readonly scanned: number;
  readonly matched: number;
  readonly redriven: number;
  /** Sent back but not deleted from the dead-letter queue: they may be handled twice. */
  readonly notDeleted: number;
  /** Could not be sent back: they stay in the dead-letter queue. */
  readonly failed: number;
}

export interface RedriveOptions {
  readonly pattern?: string;
  readonly dryRun: boolean;
  /** The queue to send to, for messages without a recorded source queue. */
  readonly to?: string;
}

/**
 * `dlq <queue> redrive`: sends each message (those the pattern matches, if one is given) back to
 * the queue it came from as a new message, so its attempts start over, without the
 * `dead-letter-*` attributes, and deletes it from the dead-letter queue only once the send
 * succeeded. Whatever is not redriven is made visible again; nothing is lost: a failure at any
 * point leaves the message in the dead-letter queue (at worst in both, to be handled twice by
 * idempotent handlers).
 */
export async function redriveDeadLetters(
  context: DeadLetterContext,
  queue: string,
  options: RedriveOptions,
): Promise<RedriveResult> {
  const { sdk, client, io } = context;
  const matcher = options.pattern === undefined ? undefined : patternMatcher(options.pattern);
  const queues = await resolveDeadLetterQueues(sdk, client, queue);
  const decode = decoder();
  const urls = new Map<string, Promise<string>>();
  const targetUrl = (name: string) => {
    let url = urls.get(name);
    if (!url) urls.set(name, (url = urlOf(sdk, client, name)));
    return url;
  };
  const fallbackTarget = options.to ?? queues.sourceName;
  const kept: ReceivedMessage[] = [];
  const result = { scanned: 0, matched: 0, redriven: 0, notDeleted: 0, failed: 0 };
  const progress = new Progress(io, 'processed');
  try {
    await scanQueue(sdk, client, queues.deadLetterUrl, context.visibilitySeconds, async (batch) => {
      result.scanned += batch.length;
      const selected: ReceivedMessage[] = [];
      for (const message of batch) {
        if (!matcher || matches(matcher, decode(message.Body))) selected.push(message);
        else kept.push(message);
      }
      result.matched += selected.length;
      if (options.dryRun) {
        kept.push(...selected);
        progress.add(batch.length);
        return;
      }
      const byTarget = new Map<string, ReceivedMessage[]>();
      for (const message of selected) {
        const target = attr(message, `${DEAD_LETTER_PREFIX}source-queue`) ?? fallbackTarget;
        if (!target) {
          // Made visible again on the way out, like everything not redriven.
          kept.push(...selected);
          throw new CliUsageError(
            `Message ${message.MessageId} records no source queue (SQS's redrive policy moved it): ` +
              `name the queue to send it to with --to <queue>, or name the source queue instead of ` +
              `${queues.deadLetterName}.`,
          );
        }
        byTarget.set(target, [...(byTarget.get(target) ?? []), message]);
      }
      for (const [target, messages] of byTarget) {
        const outcome = await sendBack(sdk, client, await targetUrl(target), messages);
        kept.push(...outcome.unsent);
        result.failed += outcome.unsent.length;
        const notDeleted = await deleteMessages(sdk, client, queues.deadLetterUrl, outcome.sent);
        result.redriven += outcome.sent.length;
        result.notDeleted += notDeleted;
      }
      progress.add(batch.length);
    });
  } finally {
    progress.done();
    await release(sdk, client, queues.deadLetterUrl, kept);
  }
  io.out(
    options.dryRun
      ? `Dry run: ${result.matched} of ${result.scanned} message(s) in ${queues.deadLetterName} would be redriven.\n`
      : `Redrove ${result.redriven} of ${result.scanned} message(s) from ${queues.deadLetterName}` +
          (result.failed ? `; ${result.failed} could not be sent and stay in it` : '') +
          (result.notDeleted
            ? `; ${result.notDeleted} were sent but could not be deleted from it (they may be handled twice): run redrive again to retry`
            : '') +
          '.\n',
  );
  return result;
}

/** Sends copies in batches of 10; reports which were sent and which were not. */
async function sendBack(
  sdk: SqsSdk,
  client: Sqs.SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
): Promise<{ sent: ReceivedMessage[]; unsent: ReceivedMessage[] }> {
  const sent: ReceivedMessage[] = [];
  const unsent: ReceivedMessage[] = [];
  const fifo = queueUrl.endsWith('.fifo');
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    try {
      const response = await client.send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            MessageBody: message.Body ?? '',
            MessageAttributes: withoutDeadLetterAttributes(message.MessageAttributes),
            ...(fifo && {
              MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
              // A new id: the original's deduplication window may still hold the first send.
              MessageDeduplicationId: `redrive-${message.MessageId}`,
            }),
          })),
        }),
      );
      const ok = new Set((response.Successful ?? []).map((entry) => entry.Id));
      batch.forEach((message, index) => (ok.has(String(index)) ? sent : unsent).push(message));
    } catch {
      unsent.push(...batch);
    }
  }
  return { sent, unsent };
}

function withoutDeadLetterAttributes(
  attributes: Sqs.Message['MessageAttributes'],
): Record<string, Sqs.MessageAttributeValue> | undefined {
  if (!attributes) return undefined;
  const kept: Record<string, Sqs.MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith(DEAD_LETTER_PREFIX)) continue;
    kept[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined && { StringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { BinaryValue: value.BinaryValue }),
    };
  }
  return Object.keys(kept).length ? kept : undefined;
}

function patternMatcher(text: string): EventMatcher {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new CliUsageError(
      `--pattern is not JSON: give an EventBridge-style pattern on the envelope, e.g. ` +
        `'{"type":["order.created"],"data":{"channel":["web"]}}'.`,
    );
  }
  try {
    return compilePattern(pattern as object);
  } catch (error) {
    throw new CliUsageError(`--pattern is not a valid event pattern: ${(error as Error).message}`);
  }
}

function matches(matcher: EventMatcher, event: EventEnvelope | undefined): boolean {
  return event !== undefined && matcher(event);
}

/** Reads the envelope from a body in any wire format the transports use; undefined if none. */
function decoder(): (body: string | undefined) => EventEnvelope | undefined {
  const sqs = loadSqsTransportPackage('The dlq command');
  // Without the EventBridge package, its wire format is not read (nor written).
  const eventBridge = tryLoadEventBridgeUnwrapper();
  const unwrappers = eventBridge ? [eventBridge, sqs.snsUnwrapper] : [sqs.snsUnwrapper];
  return (body) => {
    try {
      return sqs.decodeMessage(body, { unwrappers, maxEventBytes: Infinity }).event;
    } catch {
      return undefined;
    }
  };
}

function typeOf(message: Sqs.Message): string | undefined {
  try {
    const value = JSON.parse(message.Body ?? '') as Record<string, unknown>;
    const type = value.type ?? value['detail-type'];
    if (typeof type === 'string') return type;
    if (value.Type === 'Notification' && typeof value.Message === 'string') {
      const inner = JSON.parse(value.Message) as { type?: unknown };
      return typeof inner.type === 'string' ? inner.type : undefined;
    }
  } catch {
    // Not JSON: a poison message.
  }
  return undefined;
}

function sentAt(message: Sqs.Message): string {
  const sent = Number(message.Attributes?.SentTimestamp);
  return Number.isFinite(sent) ? new Date(sent).toISOString() : '-';
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A progress line on stderr: rewritten in place on a terminal, else a line at each 1,000 messages
 * passed (batches arrive from several receivers, so the count steps by what each one brought).
 */
class Progress {
  private count = 0;

  constructor(
    private readonly io: DeadLetterIo,
    private readonly verb: string,
  ) {}

  add(n: number): void {
    const before = this.count;
    this.count += n;
    if (this.io.progressInPlace) this.io.err(`\r${this.count} message(s) ${this.verb}…`);
    else {
      for (let mark = Math.floor(before / 1000) + 1; mark <= this.count / 1000; mark++) {
        this.io.err(`${mark * 1000} message(s) ${this.verb}…\n`);
      }
    }
  }

  done(): void {
    if (this.io.progressInPlace && this.count) this.io.err('\n');
  }
}
