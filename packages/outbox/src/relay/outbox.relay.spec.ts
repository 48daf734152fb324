import { Logger } from '@nestjs/common';
import type { OutboxStore } from '../outbox-store.interface';
import { OutboxRelay } from './outbox.relay';

describe('OutboxRelay', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('started again after a stop that passed its deadline, runs one loop: the old one ends with its pass', async () => {
    // Each pass waits until the test answers how many rows it claimed.
    const passes: Array<(claimed: number) => void> = [];
    const store = {
      description: 'a stub store',
      relay: () => new Promise<number>((resolve) => passes.push(resolve)),
      purgeSent: () => Promise.resolve(0),
    } as unknown as OutboxStore;
    const relay = new OutboxRelay(store, 'orders', () => Promise.resolve(), {
      pollIntervalMs: 60_000,
    });

    await relay.start();
    expect(passes).toHaveLength(1);
    const stopped = relay.stop({ deadlineMs: 100 });
    await jest.advanceTimersByTimeAsync(100);
    await stopped;
    // The first pass still runs; a new start begins a loop of its own.
    await relay.start();
    expect(passes).toHaveLength(2);
    passes[0](0);
    passes[1](0);
    await jest.advanceTimersByTimeAsync(0);

    // One poll interval later, one loop takes a pass (two would have, one each).
    await jest.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveLength(3);

    const stopping = relay.stop({ deadlineMs: 1000 });
    for (const answer of passes.slice(2)) answer(0);
    await jest.advanceTimersByTimeAsync(1000);
    await stopping;
  });
});
