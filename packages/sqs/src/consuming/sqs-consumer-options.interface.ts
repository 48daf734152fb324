/** How one SQS queue is consumed. */
export interface SqsConsumerOptions {
  /** Messages handled at once; polling goes on while fewer (plus `prefetch`) are held. @default 10 */
  concurrency?: number;
  /** Messages asked for per ReceiveMessage call, 1 to 10. @default 10 */
  batchSize?: number;
  /**
   * Messages received ahead, beyond the `concurrency` running: they wait in the consumer for a
   * slot, their visibility extended meanwhile. With `batchSize` of them, the next receive is under
   * way while the handlers run instead of after them. A consumer that stops gives up those that
   * have not started; they come back when their visibility timeout ends. @default 0
   */
  prefetch?: number;
  /** Long-poll wait of each ReceiveMessage call, 0 to 20 seconds. @default 20 */
  waitTimeSeconds?: number;
  /**
   * Visibility timeout given to each received message, in seconds. From receipt until its handlers
   * are done it is extended every half of it, so slow handlers (and the messages waiting behind
   * them) keep their message. @default 30
   */
  visibilityTimeoutSeconds?: number;
  /** Upper bound of the back-off after a failed ReceiveMessage, in milliseconds. @default 20000 */
  maxPollBackoffMs?: number;
  /** How long deletes wait to be batched with others, in milliseconds. @default 10 */
  deleteBatchDelayMs?: number;
  /**
   * How long a poller that has room for fewer than `batchSize` messages waits for room for a whole
   * batch before it receives, in milliseconds, while the slots stay busy: prefetched messages still
   * wait for a slot, or at least two batches of messages are being handled. Once handlers take some
   * time, each freed slot would otherwise cost a ReceiveMessage call of its own. Otherwise (fewer
   * handled, nothing prefetched) an empty prefetch is refilled, and a freed slot asked for, at once.
   * 0 never waits. @default 25
   */
  receiveBatchDelayMs?: number;
}

export const DEFAULT_CONSUMER_OPTIONS: Required<SqsConsumerOptions> = {
  concurrency: 10,
  batchSize: 10,
  prefetch: 0,
  waitTimeSeconds: 20,
  visibilityTimeoutSeconds: 30,
  maxPollBackoffMs: 20_000,
  deleteBatchDelayMs: 10,
  receiveBatchDelayMs: 25,
};

/** The longest long poll: a wait for room beyond it only leaves that room idle. */
const MAX_RECEIVE_BATCH_DELAY_MS = 20_000;

export function checkConsumerOptions(queue: string, options: Required<SqsConsumerOptions>): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1) {
    problems.push(`concurrency must be an integer >= 1 (got ${options.concurrency})`);
  }
  if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 10) {
    problems.push(`batchSize must be 1 to 10 (got ${options.batchSize})`);
  }
  if (!Number.isSafeInteger(options.prefetch) || options.prefetch < 0) {
    problems.push(`prefetch must be an integer >= 0 (got ${options.prefetch})`);
  }
  if (!(options.waitTimeSeconds >= 0 && options.waitTimeSeconds <= 20)) {
    problems.push(`waitTimeSeconds must be 0 to 20 (got ${options.waitTimeSeconds})`);
  }
  if (!(options.visibilityTimeoutSeconds >= 1 && options.visibilityTimeoutSeconds <= 43_200)) {
    problems.push(
      `visibilityTimeoutSeconds must be 1 to 43200 (got ${options.visibilityTimeoutSeconds})`,
    );
  }
  const delay = options.receiveBatchDelayMs;
  if (!(delay >= 0 && delay <= MAX_RECEIVE_BATCH_DELAY_MS)) {
    problems.push(
      `receiveBatchDelayMs must be 0 to ${MAX_RECEIVE_BATCH_DELAY_MS} (got ${delay}); 0 receives ` +
        'for each freed slot at once',
    );
  }
  if (problems.length) {
    throw new RangeError(`SQS queue "${queue}": ${problems.join('; ')}.`);
  }
}
