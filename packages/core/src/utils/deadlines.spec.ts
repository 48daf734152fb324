import { Deadlines, type Watched } from './deadlines';

class Item implements Watched {
  previous: Watched | undefined = undefined;
  next: Watched | undefined = undefined;
  expired = 0;

  constructor(readonly deadline: number) {}

  expire(): void {
    this.expired++;
  }
}

describe('Deadlines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function started(deadlines: Deadlines): Item {
    const item = new Item(deadlines.deadlineFromNow());
    deadlines.watch(item);
    return item;
  }

  it('expires what has not settled by its deadline, once, in start order', async () => {
    const deadlines = new Deadlines(100);
    const first = started(deadlines);
    await jest.advanceTimersByTimeAsync(40);
    const second = started(deadlines);
    await jest.advanceTimersByTimeAsync(60);
    expect([first.expired, second.expired]).toEqual([1, 0]);
    await jest.advanceTimersByTimeAsync(40);
    expect([first.expired, second.expired]).toEqual([1, 1]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect([first.expired, second.expired]).toEqual([1, 1]);
  });

  it('never expires what settled, wherever it sat in the list', async () => {
    const deadlines = new Deadlines(100);
    const items = [started(deadlines), started(deadlines), started(deadlines)];
    deadlines.settled(items[1]);
    deadlines.settled(items[0]);
    await jest.advanceTimersByTimeAsync(100);
    expect(items.map((item) => item.expired)).toEqual([0, 0, 1]);
    expect(items.every((item) => !item.previous && !item.next)).toBe(true);
  });

  it('holds no timer once nothing is watched, and takes a settle after expiry in its stride', async () => {
    const deadlines = new Deadlines(100);
    const item = started(deadlines);
    deadlines.settled(item);
    expect(jest.getTimerCount()).toBe(0);
    const late = started(deadlines);
    await jest.advanceTimersByTimeAsync(100);
    expect(late.expired).toBe(1);
    deadlines.settled(late);
    expect(jest.getTimerCount()).toBe(0);
    const next = started(deadlines);
    expect(jest.getTimerCount()).toBe(1);
    deadlines.settled(next);
    expect(jest.getTimerCount()).toBe(0);
  });
});
