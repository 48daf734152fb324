import type * as Sqs from '@aws-sdk/client-sqs';
import { CliUsageError } from '../cli/cli.error';
import type { SqsSdkModule as SqsSdk } from '../loading/optional-packages';

/** A dead-letter queue and the queue its messages came from. */
export interface DeadLetterQueues {
  readonly deadLetterUrl: string;
  readonly deadLetterName: string;
  /** The source queue, when known from the queue named on the command line. */
  readonly sourceUrl?: string;
  readonly sourceName?: string;
}

/** One message as received, with the handle that changes or deletes it. */
export type ReceivedMessage = Sqs.Message & { MessageId: string; ReceiptHandle: string };

const nameOfUrl = (url: string) => url.slice(url.lastIndexOf('/') + 1);
const nameOfArn = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/**
 * Finds the dead-letter queue of `queue` (a name or URL): the target of its redrive policy when
 * it has one, else `queue` itself is taken to be the dead-letter queue.
 */
export async function resolveDeadLetterQueues(
  sdk: SqsSdk,
  client: Sqs.SQSClient,
  queue: string,
): Promise<DeadLetterQueues> {
  const url = await urlOf(sdk, client, queue);
  const { Attributes } = await client.send(
    new sdk.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }),
  );
  const redrive = Attributes?.RedrivePolicy;
  if (!redrive) return { deadLetterUrl: url, deadLetterName: nameOfUrl(url) };
  const target = (JSON.parse(redrive) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  if (!target) return { deadLetterUrl: url, deadLetterName: nameOfUrl(url) };
  const deadLetterName = nameOfArn(target);
  return {
    deadLetterUrl: await urlOf(sdk, client, deadLetterName),
    deadLetterName,
    sourceUrl: url,
    sourceName: nameOfUrl(url),
  };
}

export async function urlOf(sdk: SqsSdk, client: Sqs.SQSClient, queue: string): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  try {
    const { QueueUrl } = await client.send(new sdk.GetQueueUrlCommand({ QueueName: queue }));
    return QueueUrl!;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new CliUsageError(
        `Queue "${queue}" does not exist in this account and region. Check the name, --region ` +
          'and --endpoint (or AWS_REGION, AWS_ENDPOINT_URL).',
      );
    }
    throw error;
  }
}

/**
 * How many receives a scan keeps going at once: each is a round trip (and for a redrive a send
 * and a delete follow it), so a big queue goes several times faster than with one at a time,
 * well within SQS's throughput for a queue.
 */
export const SCAN_RECEIVERS = 4;

/**
 * Receives every message of a queue once, holding each invisible for `visibilitySeconds`, and
 * hands each batch to `onBatch`, with up to {@link SCAN_RECEIVERS} receives at once; each
 * receiver stops after two empty receives in a row. When `onBatch` returns false or throws, the
 * scan stops and the first error is thrown once every receiver is done. Messages received again
 * (their visibility ran out) and batches that arrive after the scan stopped are not handed on:
 * they are made visible again at the end, under their newest receipt handle.
 */
export async function scanQueue(
  sdk: SqsSdk,
  client: Sqs.SQSClient,
  queueUrl: string,
  visibilitySeconds: number,
  onBatch: (messages: ReceivedMessage[]) => Promise<boolean | void>,
  receivers = SCAN_RECEIVERS,
): Promise<void> {
  const seen = new Set<string>();
  const leftOver: ReceivedMessage[] = [];
  let stopped = false;
  const receiver = async () => {
    let empty = 0;
    while (empty < 2 && !stopped) {
      const { Messages = [] } = await client.send(
        new sdk.ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: visibilitySeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          // The older name too: some emulators know only this one.
          AttributeNames: ['All'],
        }),
      );
      const fresh = (Messages as ReceivedMessage[]).filter((message) => {
        if (stopped || seen.has(message.MessageId)) {
          leftOver.push(message);
          return false;
        }
        seen.add(message.MessageId);
        return true;
      });
      empty = Messages.length === 0 ? empty + 1 : 0;
      if (fresh.length && (await onBatch(fresh)) === false) stopped = true;
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: receivers }, () =>
      receiver().catch((error: unknown) => {
        stopped = true;
        throw error;
      }),
    ),
  );
  await release(sdk, client, queueUrl, leftOver);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Makes messages visible again at once (best effort, batches of 10); returns how many failed. */
export function release(
  sdk: SqsSdk,
  client: Sqs.SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
): Promise<number> {
  return inBatches(messages, (batch) =>
    client.send(
      new sdk.ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    ),
  );
}

/** Deletes messages (batches of 10); returns how many could not be deleted. */
export function deleteMessages(
  sdk: SqsSdk,
  client: Sqs.SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
): Promise<number> {
  return inBatches(messages, (batch) =>
    client.send(
      new sdk.DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    ),
  );
}

/** One batch call per 10 messages; counts the entries that failed (all of a call that failed). */
async function inBatches(
  messages: readonly ReceivedMessage[],
  call: (batch: readonly ReceivedMessage[]) => Promise<{ Failed?: readonly unknown[] }>,
): Promise<number> {
  let failed = 0;
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    try {
      failed += (await call(batch)).Failed?.length ?? 0;
    } catch {
      failed += batch.length;
    }
  }
  return failed;
}
