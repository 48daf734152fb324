import type * as Sqs from '@aws-sdk/client-sqs';

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

/**
 * Creates standard SQS queues for local development and tests: a queue with its dead-letter queue
 * and redrive policy, then the access policy that lets a rule send to it. Every call is
 * idempotent, so it can run at each start.
 */
export class SqsQueueProvisioner {
  constructor(
    private readonly sdk: typeof Sqs,
    private readonly client: Sqs.SQSClient,
  ) {}

  async provision(queue: QueueWithDeadLetter): Promise<CreatedQueue> {
    const deadLetter = await this.create(queue.deadLetterQueue, {});
    return this.create(queue.name, {
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.arn,
        maxReceiveCount: queue.maxReceiveCount,
      }),
    });
  }

  /** Replaces the queue's access policy. */
  async setPolicy(queueUrl: string, policy: object): Promise<void> {
    await this.client.send(
      new this.sdk.SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { Policy: JSON.stringify(policy) },
      }),
    );
  }

  private async create(name: string, attributes: Record<string, string>): Promise<CreatedQueue> {
    const { QueueUrl } = await this.client.send(
      new this.sdk.CreateQueueCommand({ QueueName: name }),
    );
    // Set separately: CreateQueue refuses attributes that differ from an existing queue's.
    if (Object.keys(attributes).length) {
      await this.client.send(
        new this.sdk.SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }),
      );
    }
    const { Attributes } = await this.client.send(
      new this.sdk.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }
}

/** Lets EventBridge send to the queue, for the rule `ruleArn` only. */
export function ruleQueuePolicy(queueArn: string, ruleArn: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowEventBridgeRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  };
}
