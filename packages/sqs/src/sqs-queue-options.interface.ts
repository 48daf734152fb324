import type { SqsConsumerOptions } from './consuming/sqs-consumer-options.interface';

/** A queue this service consumes. */
export interface SqsQueueOptions extends SqsConsumerOptions {
  /** Queue name (its URL is looked up at start; a missing queue fails the start). */
  name: string;
  /**
   * Queue that receives what cannot be handled, with the reason in its attributes.
   * @default the target of the queue's redrive policy; `<name>-dlq` when provisioning
   */
  deadLetterQueue?: string;
  /** Receives before the redrive policy moves a message (provisioning only). @default 5 */
  maxReceiveCount?: number;
}
