import { randomUUID } from 'node:crypto';
import { failsFirstAttempt } from './fault.plan';

describe('failsFirstAttempt', () => {
  it('gives every caller the same answer for an id', () => {
    const id = randomUUID();
    expect(failsFirstAttempt(id, 0.5)).toBe(failsFirstAttempt(id, 0.5));
  });

  it('picks no id at 0 and every id at 1', () => {
    const ids = Array.from({ length: 100 }, () => randomUUID());
    expect(ids.filter((id) => failsFirstAttempt(id, 0))).toEqual([]);
    expect(ids.filter((id) => failsFirstAttempt(id, 1))).toEqual(ids);
  });

  it('picks about the given fraction of random ids', () => {
    const ids = Array.from({ length: 20_000 }, () => randomUUID());
    const picked = ids.filter((id) => failsFirstAttempt(id, 0.05)).length;
    // 5 % of 20,000 is 1,000; the standard deviation is about 31.
    expect(picked).toBeGreaterThan(850);
    expect(picked).toBeLessThan(1150);
  });
});
