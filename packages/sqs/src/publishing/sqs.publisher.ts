import * as Sqs from '@aws-sdk/client-sqs';
import {
  EventsConfigurationError,
  type EventEnvelope,
  type RetryPolicy,
} from '@nestjs-events/core';
import {
  compileTypeMatcher,
  TrackedPublisher,
  type BatchAttempt,
  type FailedEntry,
} from '@nestjs-events/core/transport';
import { MAX_SQS_MESSAGE_BYTES } from '../codec/message-attributes';
import { encodeMessage, type EncodedMessage } from '../codec/message.encoder';
import { batchFailures } from './batch-failures';
import { resolveQueueUrl } from '../consuming/queue-urls';
import type { SqsPublishTargets } from '../sqs-transport-options.interface';

const LIMITS = { maxEntries: 10, maxBytes: MAX_SQS_MESSAGE_BYTES };

/** A message with the queue it goes to. */
interface Outgoing extends EncodedMessage {
  readonly queue: string;
}

/**
 * Publishes envelopes straight to SQS queues: checks every size before sending anything, groups
 * by queue, sends `SendMessageBatch` calls of at most 10 entries and 1 MiB (one after another on
 * a FIFO queue), and retries only the entries SQS reports as failed. What still fails is raised
 * as a `PublishError` that lists the event ids.
 */
export class SqsPublisher extends TrackedPublisher<Outgoing> {
  private readonly urls = new Map<string, Promise<string>>();
  private readonly exact = new Map<string, string>();
  private readonly wildcards: Array<[(type: string) => boolean, string]> = [];
  private readonly single: string | undefined;

  constructor(
    private readonly client: Sqs.SQSClient,
    private readonly transport: string,
    targets: SqsPublishTargets | undefined,
    private readonly fifo: boolean,
    retry: RetryPolicy,
  ) {
    super(retry);
    if (typeof targets === 'string' || targets === undefined) {
      this.single = targets;
      return;
    }
    for (const [selector, queue] of Object.entries(targets)) {
      try {
        const matches = compileTypeMatcher(selector);
        if (selector.includes('*')) this.wildcards.push([matches, queue]);
        else this.exact.set(selector, queue);
      } catch (error) {
        throw new EventsConfigurationError(
          `Transport "${transport}": publishTo[${JSON.stringify(selector)}]: ${(error as Error).message}`,
        );
      }
    }
  }

  /** Every queue events may be sent to, for provisioning. */
  get queues(): string[] {
    if (this.single !== undefined) return [this.single];
    return [...new Set([...this.exact.values(), ...this.wildcards.map(([, queue]) => queue)])];
  }

  protected encode(event: EventEnvelope): Outgoing {
    // The queue first: a type with nowhere to go is refused before its size is worked out.
    const queue = this.queueFor(event.type);
    return { ...encodeMessage(event, MAX_SQS_MESSAGE_BYTES), queue };
  }

  protected async sendAll(entries: readonly Outgoing[]): Promise<FailedEntry[]> {
    const byQueue = new Map<string, Outgoing[]>();
    for (const entry of entries) {
      const group = byQueue.get(entry.queue);
      if (group) group.push(entry);
      else byQueue.set(entry.queue, [entry]);
    }
    const queues = [...byQueue];
    // Every queue is looked up before anything is sent: a failed lookup fails the whole send,
    // and none of the events it names has gone out.
    const urls = await Promise.all(queues.map(([queue]) => this.urlOf(queue)));
    const failures = await Promise.all(
      queues.map(([, messages], index) =>
        this.sendBatches(messages, LIMITS, (batch) => this.send(urls[index], batch), this.fifo),
      ),
    );
    return failures.flat();
  }

  private queueFor(type: string): string {
    const queue =
      this.single ?? this.exact.get(type) ?? this.wildcards.find(([matches]) => matches(type))?.[1];
    if (queue === undefined) {
      throw new EventsConfigurationError(
        `Transport "${this.transport}" has no queue to publish "${type}" to. Add it to publishTo, ` +
          'or route the type to another transport with the module option routes.',
      );
    }
    return queue;
  }

  private urlOf(queue: string): Promise<string> {
    let url = this.urls.get(queue);
    if (!url) {
      url = resolveQueueUrl(this.client, queue, this.transport);
      // A failed lookup is not kept: the queue may exist on the next try.
      url.catch(() => this.urls.delete(queue));
      this.urls.set(queue, url);
    }
    return url;
  }

  private async send(
    queueUrl: string,
    batch: readonly Outgoing[],
  ): Promise<BatchAttempt<Outgoing>> {
    const result = await this.client.send(
      new Sqs.SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          MessageBody: message.body,
          MessageAttributes: message.attributes,
          ...(this.fifo && {
            MessageGroupId: message.event.aggregateId ?? message.event.type,
            MessageDeduplicationId: message.event.id,
          }),
        })),
      }),
    );
    return { failed: batchFailures(result.Failed, batch) };
  }
}
