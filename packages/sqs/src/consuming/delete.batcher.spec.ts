import { DeleteBatcher } from './delete.batcher';
import { stubLogger, stubSqs, deferred } from '../sqs.spec-helpers';

const QUEUE_URL = 'https://sqs.test/1/orders';
const DELAY_MS = 50;

function batcher(answers: Parameters<typeof stubSqs>[0] = {}) {
  const sqs = stubSqs(answers);
  const logger = stubLogger();
  const deletes = new DeleteBatcher(sqs.client, QUEUE_URL, DELAY_MS, logger);
  const handlesOf = (): string[][] =>
    sqs
      .inputsOf('DeleteMessageBatchCommand')
      .map((input) =>
        (input.Entries as Array<{ ReceiptHandle: string }>).map((entry) => entry.ReceiptHandle),
      );
  const addMany = (count: number, from = 0): void => {
    for (let i = from; i < from + count; i++) deletes.add(`m-${i}`, `h-${i}`);
  };
  return { deletes, sqs, logger, handlesOf, addMany };
}

const handles = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `h-${from + i}`);

describe('DeleteBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends a full batch of 10 at once, with ids and the queue URL', () => {
    const { sqs, handlesOf, addMany } = batcher();

    addMany(10);

    expect(handlesOf()).toEqual([handles(0, 10)]);
    const [input] = sqs.inputsOf('DeleteMessageBatchCommand');
    expect(input.QueueUrl).toBe(QUEUE_URL);
    expect(input.Entries[3]).toEqual({ Id: '3', ReceiptHandle: 'h-3' });
  });

  it('sends a partial batch once deleteBatchDelayMs has passed since its first message', async () => {
    const { handlesOf, addMany } = batcher();

    addMany(3);
    await jest.advanceTimersByTimeAsync(DELAY_MS - 1);
    addMany(1, 3);
    expect(handlesOf()).toEqual([]);

    await jest.advanceTimersByTimeAsync(1);
    expect(handlesOf()).toEqual([handles(0, 4)]);

    // Nothing left behind: no second call later.
    await jest.advanceTimersByTimeAsync(DELAY_MS * 10);
    expect(handlesOf()).toHaveLength(1);
  });

  it('starts the next batch after a full one, with a timer of its own', async () => {
    const { handlesOf, addMany } = batcher();

    addMany(12);
    expect(handlesOf()).toEqual([handles(0, 10)]);

    await jest.advanceTimersByTimeAsync(DELAY_MS);
    expect(handlesOf()).toEqual([handles(0, 10), handles(10, 2)]);
  });

  it('flush() sends what is pending at once and waits for the calls under way', async () => {
    const call = deferred<object>();
    const { deletes, handlesOf, addMany } = batcher({
      DeleteMessageBatchCommand: () => call.promise,
    });
    addMany(2);

    let flushed = false;
    const flush = deletes.flush().then(() => (flushed = true));
    expect(handlesOf()).toEqual([handles(0, 2)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(flushed).toBe(false);

    call.resolve({});
    await flush;
    expect(flushed).toBe(true);
    // The flushed batch's timer is gone too.
    await jest.advanceTimersByTimeAsync(DELAY_MS);
    expect(handlesOf()).toHaveLength(1);
  });

  it('logs a failed delete call and does not throw', async () => {
    const { deletes, logger, addMany } = batcher({
      DeleteMessageBatchCommand: () => {
        throw new Error('Service unavailable');
      },
    });
    addMany(2);

    await expect(deletes.flush()).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/^DeleteMessageBatch failed for 2 message\(s\): .*Service unavailable/),
    );
  });

  it('logs each entry SQS reports as failed, by message id', async () => {
    const { deletes, logger, addMany } = batcher({
      DeleteMessageBatchCommand: () => ({
        Failed: [
          { Id: '1', Code: 'ReceiptHandleIsInvalid', Message: 'expired', SenderFault: true },
        ],
      }),
    });
    addMany(2);

    await deletes.flush();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('Could not delete message m-1 (ReceiptHandleIsInvalid: expired)'),
    );
  });
});
