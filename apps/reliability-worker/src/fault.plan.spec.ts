import { randomUUID } from 'node:crypto';
import { failsFirstAttempt, picks } from './fault.plan';

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

describe('picks', () => {
  it('picks other events for each plan', () => {
    const ids = Array.from({ length: 2_000 }, () => randomUUID());
    const failing = ids.filter((id) => picks('fail-first', id, 0.1));
    const givingUp = ids.filter((id) => picks('give-up', id, 0.1));
    expect(failing).toEqual(ids.filter((id) => failsFirstAttempt(id, 0.1)));
    expect(givingUp.length).toBeGreaterThan(100);
    // Independent picks of 10 % each share about 1 % of the ids, not 10 %.
    expect(givingUp.filter((id) => failing.includes(id)).length).toBeLessThan(50);
  });
});
