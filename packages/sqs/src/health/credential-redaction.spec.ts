import type { SQSClient } from '@aws-sdk/client-sqs';
import { Logger, type LoggerService } from '@nestjs/common';
import { describeError, type EventSubscription } from '@nestjs-events/core/transport';
import { PublishError } from '@nestjs-events/core';
import { SqsTransport } from '../sqs.transport';

// What AWS errors and misconfigured endpoints put into messages: a presigned query, signing
// headers, access key ids and a password in a URL. None of it may leave the library.
const SECRETS = [
  'FQoGZXIvYXdzEXAMPLETOKEN',
  'ASIAIOSFODNN7EXAMPLE',
  'AKIAIOSFODNN7EXAMPLE',
  'c0ffee0123456789signature',
  'hunter2',
];
const LEAKY_MESSAGE =
  'Request failed: https://sqs.us-east-1.amazonaws.com/?Action=SendMessageBatch' +
  `&X-Amz-Security-Token=${SECRETS[0]}&X-Amz-Credential=${SECRETS[1]}%2F20261201%2Fus-east-1` +
  `&X-Amz-Signature=${SECRETS[3]} x-amz-security-token: ${SECRETS[0]}\n` +
  `authorization: AWS4-HMAC-SHA256 Credential=${SECRETS[2]}/20261201, Signature=${SECRETS[3]} ` +
  `via http://admin:${SECRETS[4]}@proxy.internal:8080`;

/** An SQS client that knows its queue but fails every send and receive with the leaky message. */
function leakyClient(): SQSClient {
  const send = (command: { constructor: { name: string } }) => {
    switch (command.constructor.name) {
      case 'GetQueueUrlCommand':
        return Promise.resolve({ QueueUrl: 'http://127.0.0.1:1/000000000000/q' });
      case 'GetQueueAttributesCommand':
        return Promise.resolve({
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:q-dlq',
              maxReceiveCount: 5,
            }),
          },
        });
      default:
        return Promise.reject(
          Object.assign(new Error(LEAKY_MESSAGE), { name: 'SignedRequestError' }),
        );
    }
  };
  return { send, destroy: () => undefined } as unknown as SQSClient;
}

const subscription: EventSubscription = {
  handler: 'Sink.on',
  eventTypes: ['thing.happened'],
  matches: (type) => type === 'thing.happened',
  handle: () => Promise.resolve({ status: 'handled' }),
};

function event() {
  return {
    id: 'e-1',
    type: 'thing.happened',
    version: 1,
    source: 'test',
    occurredAt: '2026-12-01T00:00:00.000Z',
    data: {},
    metadata: { correlationId: 'e-1' },
  };
}

describe('credentials in failures', () => {
  const logged: string[] = [];
  const capture = (...parts: unknown[]) => {
    logged.push(
      parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '),
    );
  };
  const logger: LoggerService = {
    log: capture,
    error: capture,
    warn: capture,
    debug: capture,
    verbose: capture,
  };

  beforeEach(() => {
    logged.length = 0;
    Logger.overrideLogger(logger);
  });
  afterEach(() => {
    Logger.overrideLogger(false);
  });

  const leaks = (text: string) => SECRETS.filter((secret) => text.includes(secret));

  it('reach no log line, error message or health detail', async () => {
    const transport = new SqsTransport({
      sqsClient: leakyClient(),
      publishTo: 'q',
      queues: [{ name: 'q', waitTimeSeconds: 0, maxPollBackoffMs: 10 }],
      publishRetry: { maxAttempts: 1 },
    });
    transport.subscribe(subscription);
    await transport.start();
    try {
      const failure = await transport.publish([event()]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(PublishError);
      expect(leaks(`${String(failure)} ${(failure as Error).stack}`)).toEqual([]);
      // The poll loop logs its first failed receive; wait for it, within a bound.
      const deadline = Date.now() + 5000;
      while (
        !logged.some((line) => line.includes('ReceiveMessage failed')) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(logged.some((line) => line.includes('ReceiveMessage failed'))).toBe(true);
      expect(leaks(logged.join('\n'))).toEqual([]);
      const health = JSON.stringify(transport.health());
      expect(health).toContain('SignedRequestError');
      expect(leaks(health)).toEqual([]);
    } finally {
      await transport.stop({ deadlineMs: 1000 });
    }
  });

  it('are still masked when the message is cut short', () => {
    const error = Object.assign(new Error(`${'x'.repeat(5000)} ${LEAKY_MESSAGE}`), { name: 'E' });
    const text = describeError(error);
    expect(text.length).toBeLessThanOrEqual(1001);
    expect(leaks(describeError(new Error(LEAKY_MESSAGE)))).toEqual([]);
  });
});
