import * as Sqs from '@aws-sdk/client-sqs';

/** Receives before a provisioned queue's redrive policy moves a message to its dead-letter queue. */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

/** A queue and its dead-letter queue, as the provisioner creates them. */
export interface QueueWithDeadLetter {
  readonly name: string;
  readonly deadLetterQueue: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

export interface CreatedQueue {
  readonly url: string;
  readonly arn: string;
}

/** A queue as created with its dead-letter queue. */
export interface CreatedQueueWithDeadLetter extends CreatedQueue {
  readonly deadLetter: CreatedQueue;
}

/**
 * Creates SQS queues for local development and tests: a queue with its dead-letter queue and
 * redrive policy, then the access policy that lets a broker send to it. Every call is idempotent,
 * so it can run at each start.
 */
export class SqsQueueProvisioner {
  constructor(
    private readonly client: Sqs.SQSClient,
    private readonly fifo = false,
  ) {}

  async provision(queue: QueueWithDeadLetter): Promise<CreatedQueueWithDeadLetter> {
    const deadLetter = await this.create(queue.deadLetterQueue, {});
    const created = await this.create(queue.name, {
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.arn,
        maxReceiveCount: queue.maxReceiveCount,
      }),
    });
    return { ...created, deadLetter };
  }

  /** Replaces the queue's access policy. */
  async setPolicy(queueUrl: string, policy: object): Promise<void> {
    await this.client.send(
      new Sqs.SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { Policy: JSON.stringify(policy) },
      }),
    );
  }

  private async create(name: string, attributes: Record<string, string>): Promise<CreatedQueue> {
    const { QueueUrl } = await this.client.send(
      new Sqs.CreateQueueCommand({
        QueueName: name,
        Attributes: this.fifo ? { FifoQueue: 'true' } : {},
      }),
    );
    // Set separately: CreateQueue refuses attributes that differ from an existing queue's.
    if (Object.keys(attributes).length) {
      await this.client.send(
        new Sqs.SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }),
      );
    }
    const { Attributes } = await this.client.send(
      new Sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }
}

/**
 * A queue policy that lets an AWS service (`sns.amazonaws.com`, `events.amazonaws.com`) send to
 * the queue, for the given source ARNs (topics, rules) only.
 */
export function serviceQueuePolicy(
  queueArn: string,
  service: string,
  sourceArns: string | readonly string[],
): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `Allow${service.split('.')[0].replace(/^./, (c) => c.toUpperCase())}`,
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': sourceArns } },
      },
    ],
  };
}

/** The dead-letter queue provisioning creates for `queue`: `<queue>-dlq` (`<queue>-dlq.fifo`). */
export function deadLetterQueueName(queue: string, fifo: boolean): string {
  return fifo ? `${queue.replace(/\.fifo$/, '')}-dlq.fifo` : `${queue}-dlq`;
}
