import type * as Sqs from '@aws-sdk/client-sqs';
import type { Logger } from '@nestjs/common';
import { describeError, stackOf } from '@nestjs-events/core/transport';
import type { DeadLetterSource } from '../consuming/dead-letter.sender';
import type { LambdaQueue, LambdaQueues } from './lambda-queues';
import type { SqsBatchResponse, SqsEventRecord } from './sqs-event.interface';
import type { SqsRecordsOptions } from './sqs-lambda-handler-options.interface';

export const DEFAULT_RECORDS_OPTIONS: Required<SqsRecordsOptions> = {
  concurrency: 10,
  deadLetters: 'send',
};

export function resolveRecordsOptions(
  options: SqsRecordsOptions | undefined,
): Required<SqsRecordsOptions> {
  const resolved = { ...DEFAULT_RECORDS_OPTIONS, ...options };
  if (!Number.isSafeInteger(resolved.concurrency) || resolved.concurrency < 1) {
    throw new RangeError(
      `SQS Lambda handler: concurrency must be an integer >= 1 (got ${resolved.concurrency}).`,
    );
  }
  if (resolved.deadLetters !== 'send' && resolved.deadLetters !== 'redrive') {
    throw new RangeError(`SQS Lambda handler: deadLetters must be 'send' or 'redrive'.`);
  }
  return resolved;
}

/**
 * Runs the records of one Lambda invocation through their queue's handlers and lists the records
 * that must come back. Records run concurrently, up to `concurrency`, except those of one FIFO
 * message group: they run in order, and once one fails the rest of its group is reported as
 * failed without running, as AWS requires of FIFO partial batch responses (otherwise a later
 * message of the group would be deleted before an earlier one is handled).
 */
export class SqsRecordsRunner {
  constructor(
    private readonly transport: string,
    private readonly queues: LambdaQueues,
    private readonly logger: Logger,
  ) {}

  async run(
    records: readonly SqsEventRecord[],
    options: Required<SqsRecordsOptions>,
  ): Promise<SqsBatchResponse> {
    const failed = new Set<SqsEventRecord>();
    const lanes = inLanes(records);
    let next = 0;
    const work = async (): Promise<void> => {
      while (next < lanes.length) {
        const lane = lanes[next++];
        for (const [index, record] of lane.entries()) {
          if (await this.runRecord(record, options)) continue;
          const rest = lane.slice(index);
          for (const unrun of rest) failed.add(unrun);
          await this.holdBack(rest.slice(1));
          if (rest.length > 1) {
            this.logger.warn(
              `${rest.length - 1} record(s) of FIFO group "${record.attributes.MessageGroupId}" ` +
                `after failed message ${record.messageId} were not run; they come back, in order, with it`,
            );
          }
          break;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, lanes.length) }, work));
    return {
      batchItemFailures: records
        .filter((record) => failed.has(record))
        .map((record) => ({ itemIdentifier: record.messageId })),
    };
  }

  /** Records of a FIFO group reported failed without running: those receives are no attempts. */
  private async holdBack(records: readonly SqsEventRecord[]): Promise<void> {
    await Promise.all(
      records.map(async (record) => {
        const queue = this.queues.get(queueNameOf(record.eventSourceARN));
        await queue?.processor.heldBack(record.messageId, receiveCountOf(record));
      }),
    );
  }

  /** True when the record may be deleted: handled, skipped, or safely in the dead-letter queue. */
  private async runRecord(
    record: SqsEventRecord,
    options: Required<SqsRecordsOptions>,
  ): Promise<boolean> {
    const name = queueNameOf(record.eventSourceARN);
    const queue = this.queues.get(name);
    if (!queue) {
      const known = this.queues.names.map((n) => `"${n}"`).join(', ') || 'none';
      this.logger.error(
        `Message ${record.messageId} comes from queue "${name}" (${record.eventSourceARN}), but no ` +
          `handler of transport "${this.transport}" consumes it (queues with handlers: ${known}); ` +
          'it is reported as failed. Add the queue to "queues" and give it handlers, or remove ' +
          "this function's event source mapping.",
      );
      return false;
    }
    try {
      return await this.settle(record, queue, options);
    } catch (error) {
      queue.logger.error(
        `Unexpected failure while processing message ${record.messageId}; it is reported as failed`,
        stackOf(error),
      );
      return false;
    }
  }

  private async settle(
    record: SqsEventRecord,
    { processor, deadLetters, logger }: LambdaQueue,
    options: Required<SqsRecordsOptions>,
  ): Promise<boolean> {
    const verdict = await processor.process({
      messageId: record.messageId,
      body: record.body,
      receiveCount: receiveCountOf(record),
    });
    switch (verdict.action) {
      case 'delete':
        return true;
      case 'retry': {
        const done = [...verdict.done];
        if (
          options.deadLetters === 'send' &&
          verdict.deadLetters.length &&
          (await deadLetters.send(asMessage(record), verdict.deadLetters))
        ) {
          done.push(...verdict.deadLetters.map((note) => note.handler));
        }
        await processor.remember(record.messageId, done);
        // The retry policy's delay does not apply: the message comes back when the queue's
        // visibility timeout ends, which is what Lambda users configure.
        logger.debug(`Message ${record.messageId} is reported as failed, to be retried`);
        return false;
      }
      case 'dead-letter':
        if (options.deadLetters === 'send')
          return deadLetters.send(asMessage(record), verdict.notes);
        logger.error(
          `Message ${record.messageId} cannot be handled: ` +
            verdict.notes
              .map((n) => `${n.handler} ${n.reason} (${describeError(n.error)})`)
              .join('; ') +
            "; it is reported as failed, for the queue's redrive policy to move it to the " +
            'dead-letter queue after maxReceiveCount receives',
        );
        return false;
    }
  }
}

/**
 * Groups records into lanes that run one after another: one lane per FIFO message group, in the
 * order of the batch, and one lane per other record. Standard queues may carry a MessageGroupId
 * too (fair queues), without any order to keep, so only queues named `*.fifo` are grouped.
 */
function inLanes(records: readonly SqsEventRecord[]): SqsEventRecord[][] {
  const lanes: SqsEventRecord[][] = [];
  const groups = new Map<string, SqsEventRecord[]>();
  for (const record of records) {
    const group = record.attributes?.MessageGroupId;
    if (group === undefined || !queueNameOf(record.eventSourceARN).endsWith('.fifo')) {
      lanes.push([record]);
      continue;
    }
    const key = `${record.eventSourceARN}\n${group}`;
    let lane = groups.get(key);
    if (!lane) {
      lane = [];
      groups.set(key, lane);
      lanes.push(lane);
    }
    lane.push(record);
  }
  return lanes;
}

function receiveCountOf(record: SqsEventRecord): number {
  return Number(record.attributes?.ApproximateReceiveCount ?? '1');
}

/** The queue name is the last part of its ARN, `arn:aws:sqs:<region>:<account>:<name>`. */
function queueNameOf(arn: string | undefined): string {
  return arn?.slice(arn.lastIndexOf(':') + 1) ?? '';
}

/** The record as the SDK would have received it, for its dead-letter copy. */
function asMessage(record: SqsEventRecord): DeadLetterSource {
  const attributes: Record<string, Sqs.MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      DataType: value.dataType,
      ...(value.stringValue !== undefined && { StringValue: value.stringValue }),
      ...(value.binaryValue !== undefined && {
        BinaryValue: Buffer.from(value.binaryValue, 'base64'),
      }),
    };
  }
  return {
    MessageId: record.messageId,
    Body: record.body,
    MessageAttributes: attributes,
    Attributes: { MessageGroupId: record.attributes?.MessageGroupId },
  };
}
