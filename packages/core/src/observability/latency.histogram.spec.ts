import { checkBuckets, DEFAULT_LATENCY_BUCKETS_MS, LatencyHistogram } from './latency.histogram';

describe('LatencyHistogram', () => {
  it('counts each value in the first bucket whose upper bound is not below it', () => {
    const histogram = new LatencyHistogram([1, 10, 100]);
    for (const value of [0, 1, 1.5, 10, 99, 100, 100.1, 5000]) histogram.record(value);
    expect(histogram.snapshot()).toEqual({
      count: 8,
      sum: 0 + 1 + 1.5 + 10 + 99 + 100 + 100.1 + 5000,
      min: 0,
      max: 5000,
      boundaries: [1, 10, 100],
      counts: [2, 2, 2, 2],
    });
  });

  it('reports zeros before the first value', () => {
    expect(new LatencyHistogram(DEFAULT_LATENCY_BUCKETS_MS).snapshot()).toMatchObject({
      count: 0,
      sum: 0,
      min: 0,
      max: 0,
      counts: new Array(DEFAULT_LATENCY_BUCKETS_MS.length + 1).fill(0),
    });
  });

  it('hands out copies: later values do not change a snapshot', () => {
    const histogram = new LatencyHistogram([1]);
    const before = histogram.snapshot();
    histogram.record(2);
    expect(before.counts).toEqual([0, 0]);
  });

  it('works with no bounds at all: one bucket', () => {
    const histogram = new LatencyHistogram([]);
    histogram.record(3);
    expect(histogram.snapshot().counts).toEqual([1]);
  });
});

describe('checkBuckets', () => {
  it('accepts finite, strictly increasing bounds and returns a frozen copy', () => {
    const given = [0, 0.5, 2];
    const checked = checkBuckets(given, 'buckets');
    expect(checked).toEqual(given);
    expect(checked).not.toBe(given);
    expect(Object.isFrozen(checked)).toBe(true);
  });

  it('refuses what is not a list of finite, strictly increasing numbers, naming it', () => {
    expect(() => checkBuckets('1,2', 'buckets')).toThrow('buckets must be an array of numbers');
    expect(() => checkBuckets([1, Infinity], 'buckets')).toThrow(
      'buckets[1] must be a finite number, got Infinity',
    );
    expect(() => checkBuckets([1, '2'], 'buckets')).toThrow('buckets[1] must be a finite number');
    expect(() => checkBuckets([1, 5, 5], 'buckets')).toThrow(
      'buckets must be strictly increasing: 5 follows 5',
    );
  });
});
