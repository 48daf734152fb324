import { Logger } from '@nestjs/common';
import type {
  DeliveryLedger,
  DeliveryOutcome,
  EventSubscription,
} from '@nestjs-events/core/transport';
import { envelope, HANDLED, stubSubscription } from '../sqs.spec-helpers';
import { MessageProcessor } from './message.processor';
import { QueueReporter } from './queue.reporter';

/** A ledger in a Map, as the core's store-backed one behaves with one process. */
function mapLedger(): DeliveryLedger & { readonly marks: Map<string, Set<string>> } {
  const marks = new Map<string, Set<string>>();
  return {
    shared: false,
    marks,
    marked: (delivery, wanted) =>
      Promise.resolve(new Set(wanted.filter((mark) => marks.get(delivery)?.has(mark)))),
    mark: (delivery, added) => {
      const set = marks.get(delivery) ?? new Set<string>();
      for (const mark of added) set.add(mark);
      marks.set(delivery, set);
      return Promise.resolve();
    },
  };
}

function ledgerProcessor(
  queue: string,
  deliveries: DeliveryLedger,
  ...subscriptions: EventSubscription[]
) {
  return new MessageProcessor(queue, subscriptions, undefined, {
    reports: new QueueReporter('sqs', queue),
    deliveries,
  });
}

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

    const verdict = await processor(subscription).process({ body: '{oops', receiveCount: 4 });

    expect(verdict).toEqual({
      action: 'dead-letter',
      notes: [{ reason: 'malformed-json', handler: '-', error: expect.any(Error), attempts: 4 }],
    });
    expect(deliveries).toHaveLength(0);
  });

  it("dead-letters an event type none of the queue's handlers takes", async () => {
    const { subscription } = stubSubscription('Orders.onShipped', ['order.shipped']);

    const verdict = await processor(subscription).process({ body, receiveCount: 1 });

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
    ).process({ body, receiveCount: 2 });

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
    ).process({ body, receiveCount: 1 });

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
    ).process({ body, receiveCount: 3 });

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

    await queue.process({ body: 'not json', receiveCount: 1 }, { handling });
    await queue.process(
      { body: JSON.stringify(envelope({ type: 'order.paid' })), receiveCount: 1 },
      { handling },
    );
    expect(handling).not.toHaveBeenCalled();

    const done = queue.process({ body, receiveCount: 1 }, { handling });
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

  describe('with a delivery ledger', () => {
    it('runs only the handlers that asked for the redelivery; one that gave up is not run again', async () => {
      const ledger = mapLedger();
      let failuresLeft = 1;
      const a = stubSubscription('A.on', ['order.created'], () =>
        gaveUp('non-retryable', new Error('never')),
      );
      const b = stubSubscription('B.on', ['order.created'], () =>
        failuresLeft-- > 0 ? retry(10) : HANDLED,
      );
      const c = stubSubscription('C.on', ['order.created']);
      const queue = ledgerProcessor(
        'orders',
        ledger,
        a.subscription,
        b.subscription,
        c.subscription,
      );
      const message = { messageId: 'm-1', body, receiveCount: 1 };

      const first = await queue.process(message);
      expect(first).toMatchObject({
        action: 'retry',
        done: ['C.on'],
        deadLetters: [{ handler: 'A.on', reason: 'non-retryable', event: envelope() }],
      });
      // What the consumer does once A's dead letter is written.
      await queue.remember('m-1', ['C.on', 'A.on']);

      const second = await queue.process({ ...message, receiveCount: 2 });

      expect(second).toEqual({ action: 'delete' });
      expect(a.deliveries).toHaveLength(1);
      expect(c.deliveries).toHaveLength(1);
      expect(b.deliveries.map((d) => d.delivery)).toEqual([{ attempt: 1 }, { attempt: 2 }]);
    });

    it('runs every handler again when the marks cannot be read (at least once)', async () => {
      const ledger = mapLedger();
      const broken: DeliveryLedger = {
        ...ledger,
        marked: () => Promise.reject(new Error('store down')),
      };
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const a = stubSubscription('A.on', ['order.created']);
      const b = stubSubscription('B.on', ['order.created']);
      const queue = ledgerProcessor('orders', broken, a.subscription, b.subscription);
      await ledger.mark('sqs:orders:m-1', ['done:A.on']);

      await queue.process({ messageId: 'm-1', body, receiveCount: 2 });

      expect(a.deliveries).toHaveLength(1);
      expect(b.deliveries).toHaveLength(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('every handler runs'));
      warn.mockRestore();
    });

    it('does not count the receives of a FIFO message held back behind its group as attempts', async () => {
      const ledger = mapLedger();
      const handler = stubSubscription('A.on', ['order.created']);
      const queue = ledgerProcessor('orders.fifo', ledger, handler.subscription);
      await queue.heldBack('m-2', 1);
      await queue.heldBack('m-2', 2);

      await queue.process({ messageId: 'm-2', body, receiveCount: 4 });

      // Received 4 times, held back twice: its handler has run once before, this is attempt 2.
      expect(handler.deliveries.map((d) => d.delivery)).toEqual([{ attempt: 2 }]);
    });

    it('reads nothing on a first delivery, nor for a single handler on a standard queue', async () => {
      const ledger = mapLedger();
      const marked = jest.spyOn(ledger, 'marked');
      const one = ledgerProcessor(
        'orders',
        ledger,
        stubSubscription('A.on', ['order.created']).subscription,
      );
      const two = ledgerProcessor(
        'orders',
        ledger,
        stubSubscription('A.on', ['order.created']).subscription,
        stubSubscription('B.on', ['order.created']).subscription,
      );

      await one.process({ messageId: 'm-3', body, receiveCount: 5 });
      await two.process({ messageId: 'm-3', body, receiveCount: 1 });

      expect(marked).not.toHaveBeenCalled();
    });
  });
});
