import type { DeliveryOutcome, EventSubscription } from '@nestjs-events/core/transport';
import { envelope, HANDLED, stubSubscription } from '../sqs.spec-helpers';
import { MessageProcessor } from './message.processor';

const body = JSON.stringify(envelope());

function processor(...subscriptions: EventSubscription[]) {
  return new MessageProcessor('orders', subscriptions);
}

/** A subscription to order.created that comes back with `outcome`. */
function answering(handler: string, outcome: DeliveryOutcome) {
  return stubSubscription(handler, ['order.created'], () => outcome).subscription;
}

const retry = (delayMs: number): DeliveryOutcome => ({
  status: 'retry',
  delayMs,
  error: new Error('later'),
});
const gaveUp = (reason: 'non-retryable' | 'max-attempts', error: unknown): DeliveryOutcome => ({
  status: 'dead-letter',
  reason,
  error,
  attempts: 3,
});

describe('MessageProcessor', () => {
  it('dead-letters a body it cannot decode, with the reason, without running handlers', async () => {
    const { subscription, deliveries } = stubSubscription('Orders.onCreated', ['order.created']);

    const verdict = await processor(subscription).process('{oops', 4);

    expect(verdict).toEqual({
      action: 'dead-letter',
      notes: [{ reason: 'malformed-json', handler: '-', error: expect.any(Error), attempts: 4 }],
    });
    expect(deliveries).toHaveLength(0);
  });

  it("dead-letters an event type none of the queue's handlers takes", async () => {
    const { subscription } = stubSubscription('Orders.onShipped', ['order.shipped']);

    const verdict = await processor(subscription).process(body, 1);

    expect(verdict).toEqual({
      action: 'dead-letter',
      notes: [
        {
          reason: 'unknown-event-type',
          handler: '-',
          attempts: 1,
          error: expect.objectContaining({
            message: expect.stringContaining(
              'No handler of queue "orders" takes "order.created" (event e-1)',
            ),
          }),
        },
      ],
    });
  });

  it('runs every matching handler with the attempt, and deletes when all handled or skipped', async () => {
    const first = stubSubscription('Orders.onCreated', ['order.created']);
    const second = stubSubscription('Audit.onAny', ['order.created'], () => ({
      status: 'skipped',
    }));
    const other = stubSubscription('Orders.onShipped', ['order.shipped']);

    const verdict = await processor(
      first.subscription,
      other.subscription,
      second.subscription,
    ).process(body, 2);

    expect(verdict).toEqual({ action: 'delete' });
    for (const { deliveries } of [first, second]) {
      expect(deliveries).toEqual([{ event: envelope(), delivery: { attempt: 2 } }]);
    }
    expect(other.deliveries).toHaveLength(0);
  });

  it('retries with the longest delay when any handler wants a retry, listing those that gave up', async () => {
    const declined = new Error('declined');

    const verdict = await processor(
      answering('A.on', retry(1200)),
      answering('B.on', gaveUp('non-retryable', declined)),
      // The longest delay wins, not the last one.
      answering('C.on', retry(300)),
      answering('D.on', HANDLED),
    ).process(body, 1);

    expect(verdict).toMatchObject({
      action: 'retry',
      delayMs: 1200,
      deadLetters: [{ reason: 'non-retryable', handler: 'B.on', error: declined, attempts: 3 }],
    });
  });

  it('dead-letters with every note when the failing handlers all gave up', async () => {
    const verdict = await processor(
      answering('A.on', gaveUp('max-attempts', 'a')),
      answering('B.on', HANDLED),
      answering('C.on', gaveUp('non-retryable', 'c')),
    ).process(body, 3);

    expect(verdict).toMatchObject({
      action: 'dead-letter',
      notes: [
        { reason: 'max-attempts', handler: 'A.on', error: 'a', attempts: 3 },
        { reason: 'non-retryable', handler: 'C.on', error: 'c', attempts: 3 },
      ],
    });
  });

  it('calls the handling hook for real events only, and its return once every handler settled', async () => {
    const log: string[] = [];
    let release!: () => void;
    const slow = stubSubscription('Slow.on', ['order.created'], async () => {
      log.push('slow started');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('slow settled');
      return HANDLED;
    });
    const fast = stubSubscription('Fast.on', ['order.created'], () => {
      log.push('fast settled');
      return HANDLED;
    });
    const handling = jest.fn(() => {
      log.push('handling');
      return () => log.push('all settled');
    });
    const queue = processor(slow.subscription, fast.subscription);

    await queue.process('not json', 1, { handling });
    await queue.process(JSON.stringify(envelope({ type: 'order.paid' })), 1, { handling });
    expect(handling).not.toHaveBeenCalled();

    const done = queue.process(body, 1, { handling });
    await new Promise(setImmediate);
    expect(log).toEqual(['handling', 'slow started', 'fast settled']);
    release();
    await done;
    expect(log).toEqual([
      'handling',
      'slow started',
      'fast settled',
      'slow settled',
      'all settled',
    ]);
  });
});
