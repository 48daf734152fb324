import { DEAD_LETTER_ATTRIBUTES, eventAttributes } from '../codec/message-attributes';
import { envelope, sqsMessage, stubLogger, stubSqs, type Answer } from '../sqs.spec-helpers';
import { DeadLetterSender, type DeadLetterSource } from './dead-letter.sender';
import type { DeadLetterNote } from './message.processor';

const DLQ_URL = 'https://sqs.test/1/orders-dlq';

function sender(
  answers: Record<string, Answer> = {},
  resolveUrl: () => Promise<string> = () => Promise.resolve(DLQ_URL),
) {
  const sqs = stubSqs(answers);
  const logger = stubLogger();
  const resolve = jest.fn(resolveUrl);
  const deadLetters = new DeadLetterSender(sqs.client, 'orders', resolve, logger);
  const sent = () => sqs.inputsOf('SendMessageCommand');
  return { deadLetters, sqs, logger, resolve, sent };
}

function note(overrides: Partial<DeadLetterNote> = {}): DeadLetterNote {
  return {
    reason: 'max-attempts',
    handler: 'Orders.onCreated',
    error: new Error('card declined'),
    attempts: 3,
    ...overrides,
  };
}

/** A received message that carries the event's attributes, as published. */
function published(extra: Partial<DeadLetterSource> = {}): DeadLetterSource {
  const event = envelope({ aggregateId: 'order-1' });
  return {
    ...sqsMessage(event),
    MessageAttributes: {
      ...eventAttributes(event),
      unrelated: { DataType: 'String', StringValue: 'x' },
    },
    ...extra,
  };
}

const text = (StringValue: string) => ({ DataType: 'String', StringValue });

describe('DeadLetterSender', () => {
  it("copies the body and the event's attributes, and adds why the message is there", async () => {
    const { deadLetters, sent } = sender();
    const message = published();

    await expect(deadLetters.send(message, [note()])).resolves.toBe(true);

    const [input] = sent();
    expect(input.QueueUrl).toBe(DLQ_URL);
    expect(input.MessageBody).toBe(message.Body);
    expect(input.MessageGroupId).toBeUndefined();
    expect(input.MessageAttributes).toEqual({
      'event-type': text('order.created'),
      'event-version': { DataType: 'Number', StringValue: '1' },
      'event-source': text('orders'),
      'aggregate-id': text('order-1'),
      'correlation-id': text('e-1'),
      [DEAD_LETTER_ATTRIBUTES.reason]: text('max-attempts'),
      [DEAD_LETTER_ATTRIBUTES.handler]: text('Orders.onCreated'),
      [DEAD_LETTER_ATTRIBUTES.error]: text('Error: card declined'),
      [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: '3' },
      [DEAD_LETTER_ATTRIBUTES.sourceQueue]: text('orders'),
    });
    // SQS allows 10 attributes: other attributes of the message are dropped.
    expect(Object.keys(input.MessageAttributes)).toHaveLength(10);
  });

  it('joins the notes of several handlers, with the most attempts, and truncates the error', async () => {
    const { deadLetters, sent } = sender();

    await deadLetters.send(published(), [
      note({ attempts: 2, error: new Error('x'.repeat(2000)) }),
      note({ reason: 'non-retryable', handler: 'Billing.onCreated', attempts: 5 }),
    ]);

    const attributes = sent()[0].MessageAttributes;
    expect(attributes[DEAD_LETTER_ATTRIBUTES.reason].StringValue).toBe(
      'max-attempts,non-retryable',
    );
    expect(attributes[DEAD_LETTER_ATTRIBUTES.handler].StringValue).toBe(
      'Orders.onCreated,Billing.onCreated',
    );
    expect(attributes[DEAD_LETTER_ATTRIBUTES.attempts].StringValue).toBe('5');
    const error = attributes[DEAD_LETTER_ATTRIBUTES.error].StringValue as string;
    expect(error).toHaveLength(1024);
    expect(error.startsWith('Error: xxx')).toBe(true);
  });

  it('keeps the MessageGroupId on a FIFO dead-letter queue, deduplicated by message id', async () => {
    const { deadLetters, sent } = sender({}, () => Promise.resolve(`${DLQ_URL}.fifo`));

    await deadLetters.send(published({ Attributes: { MessageGroupId: 'order-1' } }), [note()]);
    await deadLetters.send(published({ Attributes: {} }), [note()]);

    expect(
      sent().map((input): unknown[] => [input.MessageGroupId, input.MessageDeduplicationId]),
    ).toEqual([
      ['order-1', 'e-1'],
      // Without a group of its own, the queue's name is the group.
      ['orders', 'e-1'],
    ]);
  });

  it('resolves the URL on first use only, and again after a failed resolution', async () => {
    let lookups = 0;
    const lookUp = () =>
      ++lookups === 1
        ? Promise.reject(new Error('GetQueueUrl throttled'))
        : Promise.resolve(DLQ_URL);
    const { deadLetters, resolve, logger, sent } = sender({}, lookUp);
    expect(resolve).not.toHaveBeenCalled();

    await expect(deadLetters.send(published(), [note()])).resolves.toBe(false);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('GetQueueUrl throttled'));

    await expect(deadLetters.send(published(), [note()])).resolves.toBe(true);
    await expect(deadLetters.send(published(), [note()])).resolves.toBe(true);
    expect(resolve).toHaveBeenCalledTimes(2);
    expect(sent()).toHaveLength(2);
  });

  it('returns false and logs when the send fails', async () => {
    const { deadLetters, logger, sent } = sender({
      SendMessageCommand: () => {
        throw new Error('Access denied');
      },
    });

    await expect(deadLetters.send(published(), [note()])).resolves.toBe(false);
    // Not a size problem: no second try with fewer attributes.
    expect(sent()).toHaveLength(1);
    expect(logger.error).toHaveBeenLastCalledWith(
      expect.stringMatching(
        /^Could not send message e-1 to the dead-letter queue: .*Access denied/,
      ),
    );
  });

  it('keeps only the reason, then no attribute, when the message is too long for the queue', async () => {
    const tooLong = () => {
      throw new Error(
        'One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.',
      );
    };
    const answers: Record<string, Answer> = { SendMessageCommand: tooLong };
    const { deadLetters, sent } = sender(answers);

    await expect(deadLetters.send(published(), [note()])).resolves.toBe(false);
    expect(sent().map((input) => Object.keys(input.MessageAttributes))).toEqual([
      expect.arrayContaining([DEAD_LETTER_ATTRIBUTES.reason, 'event-type']),
      [DEAD_LETTER_ATTRIBUTES.reason],
      [],
    ]);

    // The first smaller copy that fits is the one sent.
    let calls = 0;
    answers.SendMessageCommand = () => (++calls === 1 ? tooLong() : {});
    await expect(deadLetters.send(published(), [note()])).resolves.toBe(true);
    expect(Object.keys(sent()[4].MessageAttributes)).toEqual([DEAD_LETTER_ATTRIBUTES.reason]);
  });

  it('sends a placeholder body and dashes for empty values', async () => {
    const { deadLetters, sent } = sender();

    await deadLetters.send({ MessageId: 'm-1', Body: '' }, [note({ handler: '', error: '' })]);

    const [input] = sent();
    expect(input.MessageBody).toBe('(empty body)');
    expect(input.MessageAttributes[DEAD_LETTER_ATTRIBUTES.handler]).toEqual(text('-'));
  });
});
