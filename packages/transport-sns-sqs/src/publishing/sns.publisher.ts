import type * as Sns from '@aws-sdk/client-sns';
import type { EventEnvelope, RetryPolicy } from '@nestjs-events/core';
import {
  eventAttributes,
  MAX_MESSAGE_BYTES,
  messageSize,
  type StringAttribute,
} from '../codec/message-attributes';
import { chunkBatches } from './batch.chunker';
import { mapLimited, PUBLISH_CALLS_IN_FLIGHT } from './map-limited';
import { OversizeEventError } from './publish.error';
import { TrackedPublisher } from './tracked.publisher';
import { sendWithRetry, type BatchAttempt } from './publish-retry';
import type { TopicResolver } from './topic.resolver';

interface Outgoing {
  readonly event: EventEnvelope;
  readonly body: string;
  readonly attributes: Record<string, StringAttribute>;
  readonly size: number;
}

const BATCH_ENTRIES = 10;
type Failure = BatchAttempt<Outgoing>['failed'][number];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes envelopes to SNS: checks every size before sending anything, groups by topic, sends
 * `PublishBatch` calls of at most 10 entries and 256 KiB, and retries only the entries SNS
 * reports as failed. What still fails is raised as a `PublishError` that lists the event ids.
 */
export class SnsPublisher extends TrackedPublisher {
  constructor(
    private readonly sdk: typeof Sns,
    private readonly client: Sns.SNSClient,
    private readonly topics: TopicResolver,
    private readonly fifo: boolean,
    private readonly retry: RetryPolicy,
  ) {
    super();
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    const outgoing = events.map((event) => this.encode(event));
    const byTopic = new Map<string, Outgoing[]>();
    for (const message of outgoing) {
      let arn: string;
      try {
        arn = await this.topics.arnFor(message.event.type);
      } catch (error) {
        this.fail(
          events.map((e) => e.id),
          (error as Error).message,
          error,
        );
      }
      const group = byTopic.get(arn);
      if (group) group.push(message);
      else byTopic.set(arn, [message]);
    }
    const failures = await Promise.all(
      [...byTopic].map(([arn, messages]) => this.sendToTopic(arn, messages)),
    );
    this.settle(failures.flat());
  }

  /**
   * Sends one topic's messages in batches: in parallel, or one batch after another on a FIFO
   * topic, where a later batch must not overtake an earlier one.
   */
  private async sendToTopic(arn: string, messages: Outgoing[]): Promise<Failure[]> {
    const batches = chunkBatches(messages, (m) => m.size, BATCH_ENTRIES, MAX_MESSAGE_BYTES);
    const sendBatch = (batch: Outgoing[]) =>
      sendWithRetry(batch, (pending) => this.send(arn, pending), this.retry, sleep);
    if (!this.fifo) return (await mapLimited(batches, PUBLISH_CALLS_IN_FLIGHT, sendBatch)).flat();
    const failed: Failure[] = [];
    for (const batch of batches) failed.push(...(await sendBatch(batch)));
    return failed;
  }

  private encode(event: EventEnvelope): Outgoing {
    const body = JSON.stringify(event);
    const attributes = eventAttributes(event);
    const size = messageSize(body, attributes);
    if (size > MAX_MESSAGE_BYTES)
      throw new OversizeEventError(event.id, event.type, size, MAX_MESSAGE_BYTES);
    return { event, body, attributes, size };
  }

  private fifoFields(event: EventEnvelope) {
    return this.fifo
      ? { MessageGroupId: event.aggregateId ?? event.type, MessageDeduplicationId: event.id }
      : {};
  }

  private async send(
    topicArn: string,
    batch: readonly Outgoing[],
  ): Promise<BatchAttempt<Outgoing>> {
    this.calls++;
    if (batch.length === 1) {
      const [message] = batch;
      await this.client.send(
        new this.sdk.PublishCommand({
          TopicArn: topicArn,
          Message: message.body,
          MessageAttributes: message.attributes,
          ...this.fifoFields(message.event),
        }),
      );
      return { failed: [] };
    }
    const result = await this.client.send(
      new this.sdk.PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: batch.map((message, index) => ({
          Id: String(index),
          Message: message.body,
          MessageAttributes: message.attributes,
          ...this.fifoFields(message.event),
        })),
      }),
    );
    return {
      failed: (result.Failed ?? []).map((failure) => ({
        entry: batch[Number(failure.Id)],
        // SenderFault: the entry itself is wrong; sending it again cannot help.
        retryable: !failure.SenderFault,
        reason: `${failure.Code ?? 'Failed'}: ${failure.Message ?? 'no message'}`,
      })),
    };
  }
}
