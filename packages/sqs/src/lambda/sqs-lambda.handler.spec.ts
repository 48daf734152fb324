import type { INestApplicationContext } from '@nestjs/common';
import { EVENTS_TRANSPORTS, EventsConfigurationError, type Transport } from '@nestjs-events/core';
import type { SqsEventRecord } from './sqs-event.interface';
import { createSqsLambdaHandler } from './sqs-lambda.handler';
import type { SqsLambdaHandlerOptions } from './sqs-lambda-handler-options.interface';

/** A transport; with `consume`, one that consumes SQS and answers `handleLambdaRecords`. */
function transport(name: string, consume?: 'poll' | 'lambda') {
  const handleLambdaRecords = jest.fn(() => Promise.resolve({ batchItemFailures: [] }));
  const base = {
    name,
    publish: jest.fn(),
    subscribe: jest.fn(),
    start: jest.fn(),
    stop: jest.fn(),
    health: () => ({ status: 'up' as const }),
  };
  return (consume ? { ...base, consume, handleLambdaRecords } : base) as unknown as Transport & {
    handleLambdaRecords: typeof handleLambdaRecords;
  };
}

/**
 * A handler over an application context that holds `transports` (none: no EventsModule),
 * created by a factory, so that no Nest application boots.
 */
function handlerOver(transports: Transport[] | undefined, options: SqsLambdaHandlerOptions = {}) {
  const app: {
    init: jest.Mock<Promise<unknown>, []>;
    close: jest.Mock<Promise<void>, []>;
    get: jest.Mock<Transport[], [unknown]>;
  } = {
    init: jest.fn(() => Promise.resolve(app)),
    close: jest.fn(() => Promise.resolve()),
    get: jest.fn((token: unknown) => {
      if (token !== EVENTS_TRANSPORTS || !transports) throw new Error('Nest could not find it');
      return transports;
    }),
  };
  const factory = jest.fn(() => Promise.resolve(app as unknown as INestApplicationContext));
  return { handler: createSqsLambdaHandler(factory, options), app, factory };
}

const record = { messageId: 'm-1', body: '{}' } as SqsEventRecord;
const event = { Records: [record] };

describe('createSqsLambdaHandler', () => {
  it("hands the records to the application's only SQS-consuming transport", async () => {
    const sqs = transport('sqs', 'lambda');
    const { handler, factory } = handlerOver([transport('memory'), sqs], { concurrency: 4 });

    await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });
    await handler(event);

    expect(sqs.handleLambdaRecords).toHaveBeenCalledWith([record], {
      concurrency: 4,
      deadLetters: 'send',
    });
    // Booted once, for both invocations.
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('picks the transport named in the options among several', async () => {
    const [sns, sqs] = [transport('sns', 'lambda'), transport('sqs', 'lambda')];

    await handlerOver([sns, sqs], { transport: 'sqs' }).handler(event);

    expect(sqs.handleLambdaRecords).toHaveBeenCalled();
    expect(sns.handleLambdaRecords).not.toHaveBeenCalled();
  });

  it.each([
    [
      'no transport of that name',
      [transport('sqs', 'lambda')],
      { transport: 'orders' },
      'no SQS-consuming transport named "orders" (transports: "sqs")',
    ],
    [
      'several SQS-consuming transports and no name',
      [transport('sns', 'lambda'), transport('sqs', 'lambda')],
      {},
      '2 transports that consume SQS ("sns", "sqs"); name one with the option "transport"',
    ],
    [
      'no SQS-consuming transport',
      [transport('memory')],
      {},
      'no transport that consumes SQS (transports: "memory")',
    ],
    [
      'a transport that polls',
      [transport('sqs', 'poll')],
      {},
      `transport "sqs" polls its queues. Set consume: 'lambda' on it.`,
    ],
    ['no EventsModule', undefined, {}, 'the application has no EventsModule'],
  ])('refuses an application with %s, and closes it', async (_, transports, options, message) => {
    const { handler, app } = handlerOver(transports, options);

    const invocation = handler(event);

    await expect(invocation).rejects.toThrow(EventsConfigurationError);
    await expect(invocation).rejects.toThrow(message);
    expect(app.close).toHaveBeenCalled();
  });

  it('boots again on the next invocation after a failed boot', async () => {
    const sqs = transport('sqs', 'lambda');
    const { handler, app, factory } = handlerOver([sqs]);
    app.init.mockRejectedValueOnce(new Error('database down'));

    await expect(handler(event)).rejects.toThrow('database down');
    await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });

    expect(factory).toHaveBeenCalledTimes(2);
  });

  it('boots ahead with ready(), once', async () => {
    const { handler, app, factory } = handlerOver([transport('sqs', 'lambda')]);

    await expect(handler.ready()).resolves.toBe(app);
    await handler(event);

    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('refuses an event without Records before booting', async () => {
    const { handler, factory } = handlerOver([transport('sqs', 'lambda')]);

    await expect(handler({} as typeof event)).rejects.toThrow(TypeError);
    expect(factory).not.toHaveBeenCalled();
  });
});
