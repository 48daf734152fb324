import type { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { DeadLetterSender } from '../consuming/dead-letter.sender';
import { MessageProcessor, type QueueServices } from '../consuming/message.processor';
import { resolveDeadLetterQueueUrl, resolveQueueUrl } from '../consuming/queue-urls';
import type { DecoderOptions } from '../codec/message.decoder';
import type { ConsumedQueue } from '../consuming/sqs.consumption';

/** A queue whose messages Lambda delivers: its handlers, and where its dead letters go. */
export interface LambdaQueue {
  readonly processor: MessageProcessor;
  readonly deadLetters: DeadLetterSender;
  readonly logger: Logger;
}

/**
 * The queues of a transport that consumes through Lambda, by name. Building them makes no SQS
 * call: a cold start stays short and needs no permission beyond the event source mapping's. The
 * dead-letter queue is looked up when the first message must go there.
 */
export class LambdaQueues {
  private readonly byName = new Map<string, LambdaQueue>();

  constructor(
    client: SQSClient,
    consumed: readonly ConsumedQueue[],
    decoder: DecoderOptions,
    transport: string,
    servicesOf: (queue: string) => QueueServices,
  ) {
    for (const { options, subscriptions } of consumed) {
      const logger = new Logger(`SqsLambda(${options.name})`);
      const deadLetterQueueUrl = async () =>
        options.deadLetterQueue
          ? resolveQueueUrl(client, options.deadLetterQueue, transport)
          : resolveDeadLetterQueueUrl(
              client,
              options,
              await resolveQueueUrl(client, options.name, transport),
              transport,
            );
      const services = servicesOf(options.name);
      this.byName.set(options.name, {
        processor: new MessageProcessor(options.name, subscriptions, decoder, services),
        deadLetters: new DeadLetterSender(
          client,
          options.name,
          deadLetterQueueUrl,
          logger,
          services.reports,
        ),
        logger,
      });
    }
  }

  get(name: string): LambdaQueue | undefined {
    return this.byName.get(name);
  }

  /** Names of the queues that have handlers. */
  get names(): string[] {
    return [...this.byName.keys()];
  }
}
