import * as Sns from '@aws-sdk/client-sns';
import type { EventEnvelope, RetryPolicy } from '@nestjs-events/core';
import {
  TrackedPublisher,
  type BatchAttempt,
  type FailedEntry,
} from '@nestjs-events/core/transport';
import {
  batchFailures,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  type EncodedMessage as Outgoing,
} from '@nestjs-events/sqs/transport';
import type { TopicResolver } from './topic.resolver';

const LIMITS = { maxEntries: 10, maxBytes: MAX_MESSAGE_BYTES };

/**
 * Publishes envelopes to SNS: checks every size before sending anything, groups by topic, sends
 * `PublishBatch` calls of at most 10 entries and 256 KiB (one after another on a FIFO topic,
 * where a later batch must not overtake an earlier one), and retries only the entries SNS reports
 * as failed. What still fails is raised as a `PublishError` that lists the event ids.
 */
export class SnsPublisher extends TrackedPublisher<Outgoing> {
  constructor(
    private readonly client: Sns.SNSClient,
    private readonly topics: TopicResolver,
    private readonly fifo: boolean,
    retry: RetryPolicy,
  ) {
    super(retry);
  }

  protected encode(event: EventEnvelope): Outgoing {
    return encodeMessage(event, MAX_MESSAGE_BYTES);
  }

  protected async sendAll(entries: readonly Outgoing[]): Promise<FailedEntry[]> {
    const byTopic = new Map<string, Outgoing[]>();
    for (const message of entries) {
      // A topic that cannot be resolved fails the whole send before anything goes out.
      const arn = await this.topics.arnFor(message.event.type);
      const group = byTopic.get(arn);
      if (group) group.push(message);
      else byTopic.set(arn, [message]);
    }
    const failures = await Promise.all(
      [...byTopic].map(([arn, messages]) =>
        this.sendBatches(messages, LIMITS, (batch) => this.send(arn, batch), this.fifo),
      ),
    );
    return failures.flat();
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
    if (batch.length === 1) {
      const [message] = batch;
      await this.client.send(
        new Sns.PublishCommand({
          TopicArn: topicArn,
          Message: message.body,
          MessageAttributes: message.attributes,
          ...this.fifoFields(message.event),
        }),
      );
      return { failed: [] };
    }
    const result = await this.client.send(
      new Sns.PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: batch.map((message, index) => ({
          Id: String(index),
          Message: message.body,
          MessageAttributes: message.attributes,
          ...this.fifoFields(message.event),
        })),
      }),
    );
    return { failed: batchFailures(result.Failed, batch) };
  }
}
