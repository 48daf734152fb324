import * as Sqs from '@aws-sdk/client-sqs';
import type { Logger } from '@nestjs/common';
import { describeError, redactSecrets } from '@nestjs-events/core/transport';
import { DEAD_LETTER_ATTRIBUTES, EVENT_ATTRIBUTES } from '../codec/message-attributes';
import type { DeadLetterNote } from './message.processor';
import type { QueueReporter } from './queue.reporter';

/** The parts of an SQS message that its dead-letter copy keeps (an SDK `Message` fits). */
export interface DeadLetterSource {
  readonly MessageId?: string;
  readonly Body?: string;
  readonly MessageAttributes?: Record<string, Sqs.MessageAttributeValue>;
  /** System attributes; `MessageGroupId` keeps a FIFO message's group in the dead-letter queue. */
  readonly Attributes?: Partial<Record<string, string>>;
}

const MAX_ERROR_ATTRIBUTE = 1024;

/**
 * Sends copies of messages to a queue's dead-letter queue, with why they are there in their
 * attributes, and reports each once it is written (or could not be). The URL is given, or
 * resolved on first use (and again after a failed resolution).
 */
export class DeadLetterSender {
  private url: Promise<string> | undefined;

  constructor(
    private readonly client: Sqs.SQSClient,
    private readonly queueName: string,
    private readonly resolveUrl: () => Promise<string>,
    private readonly logger: Logger,
    private readonly reports?: QueueReporter,
  ) {}

  /** True once the copy is in the dead-letter queue; false (logged) when it could not be sent. */
  async send(message: DeadLetterSource, notes: readonly DeadLetterNote[]): Promise<boolean> {
    const describe = (note: DeadLetterNote) => describeError(note.error);
    const text = (value: string) => ({ DataType: 'String', StringValue: value || '-' });
    const attempts = Math.max(...notes.map((n) => n.attempts));
    this.logger.error(
      `Dead-lettering message ${message.MessageId} from "${this.queueName}": ` +
        notes.map((n) => `${n.handler} ${n.reason} (${describe(n)})`).join('; '),
    );
    const explained = {
      // SQS allows 10 attributes: keep the event's own, add the five that explain.
      ...pick(message.MessageAttributes, Object.values(EVENT_ATTRIBUTES)),
      [DEAD_LETTER_ATTRIBUTES.reason]: text(notes.map((n) => n.reason).join(',')),
      [DEAD_LETTER_ATTRIBUTES.handler]: text(notes.map((n) => n.handler).join(',')),
      [DEAD_LETTER_ATTRIBUTES.error]: text(
        notes.map(describe).join(' | ').slice(0, MAX_ERROR_ATTRIBUTE),
      ),
      [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(attempts) },
      [DEAD_LETTER_ATTRIBUTES.sourceQueue]: text(this.queueName),
    };
    // A body close to the queue's size limit leaves no room for the explanation: then keep the
    // reason alone, or at the limit itself no attribute (the reason is in the log above).
    const reasonOnly = {
      [DEAD_LETTER_ATTRIBUTES.reason]: explained[DEAD_LETTER_ATTRIBUTES.reason],
    };
    let failure: unknown;
    for (const attributes of [explained, reasonOnly, {}]) {
      try {
        await this.sendCopy(message, attributes);
        this.reports?.deadLettered(notes);
        return true;
      } catch (error) {
        failure = error;
        if (!isTooLarge(error)) break;
      }
    }
    // Not deleted, so not lost: it comes back, and the redrive policy moves it eventually.
    this.logger.error(
      `Could not send message ${message.MessageId} to the dead-letter queue: ${redactSecrets((failure as Error).message)}; ` +
        'it stays in the queue',
    );
    this.reports?.deadLetterFailed(notes, failure);
    return false;
  }

  private async sendCopy(
    message: DeadLetterSource,
    attributes: Record<string, Sqs.MessageAttributeValue>,
  ): Promise<void> {
    const deadLetterQueueUrl = await this.queueUrl();
    await this.client.send(
      new Sqs.SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: message.Body || '(empty body)',
        // A FIFO dead-letter queue needs a group: keep the message's own, so its order holds.
        ...(deadLetterQueueUrl.endsWith('.fifo') && {
          MessageGroupId: message.Attributes?.MessageGroupId ?? this.queueName,
          MessageDeduplicationId: message.MessageId,
        }),
        MessageAttributes: attributes,
      }),
    );
  }

  private queueUrl(): Promise<string> {
    if (!this.url) {
      const url = this.resolveUrl();
      // Forget a failed lookup, so that the next dead letter tries again.
      url.catch(() => {
        if (this.url === url) this.url = undefined;
      });
      this.url = url;
    }
    return this.url;
  }
}

function pick<T>(
  record: Record<string, T> | undefined,
  keys: readonly string[],
): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const key of keys) if (record?.[key]) picked[key] = record[key];
  return picked;
}

function isTooLarge(error: unknown): boolean {
  return /shorter than|too long|MessageTooLong|exceeds/i.test(String((error as Error)?.message));
}
