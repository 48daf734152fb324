import * as Sqs from '@aws-sdk/client-sqs';
import { EventsConfigurationError } from '@nestjs-events/core';
import { describeError } from '@nestjs-events/core/transport';
import { describeClientTarget } from '../client-config';

/** The URL of queue `name`; a missing queue is a configuration error that names it. */
export async function resolveQueueUrl(
  client: Sqs.SQSClient,
  name: string,
  transport: string,
): Promise<string> {
  try {
    const { QueueUrl } = await client.send(new Sqs.GetQueueUrlCommand({ QueueName: name }));
    return QueueUrl!;
  } catch (error) {
    if (
      (error as Error).name === 'QueueDoesNotExist' ||
      (error as Error).name === 'AWS.SimpleQueueService.NonExistentQueue'
    ) {
      throw new EventsConfigurationError(
        `SQS queue "${name}" does not exist at ${await describeClientTarget(client)}. Create it ` +
          `(with a dead-letter queue), check the region, or set provision: true on transport ` +
          `"${transport}" for local development.`,
      );
    }
    throw new EventsConfigurationError(
      `Transport "${transport}" could not look up SQS queue "${name}" at ` +
        `${await describeClientTarget(client)}: ${describeError(error)}. Check that the endpoint ` +
        'is reachable and that the region and credentials are right.',
      { cause: error },
    );
  }
}

/**
 * The dead-letter queue of a queue: the one named in the options, or the target of its redrive
 * policy. A queue without one is refused: poison messages would have nowhere to go.
 */
export async function resolveDeadLetterQueueUrl(
  client: Sqs.SQSClient,
  queue: { name: string; deadLetterQueue?: string },
  queueUrl: string,
  transport: string,
): Promise<string> {
  if (queue.deadLetterQueue) return resolveQueueUrl(client, queue.deadLetterQueue, transport);
  const { Attributes } = await client.send(
    new Sqs.GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const redrive = Attributes?.RedrivePolicy;
  if (!redrive) {
    throw new EventsConfigurationError(
      `SQS queue "${queue.name}" has no dead-letter queue. Give it a redrive policy, or name one ` +
        'with deadLetterQueue, so that messages no handler can process are kept, not lost.',
    );
  }
  const { deadLetterTargetArn } = JSON.parse(redrive) as { deadLetterTargetArn: string };
  return resolveQueueUrl(
    client,
    deadLetterTargetArn.slice(deadLetterTargetArn.lastIndexOf(':') + 1),
    transport,
  );
}
