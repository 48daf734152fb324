import { EventValidationError } from '../errors/event-validation.error';
import { RetryPolicy } from './retry-policy';

class PaymentDeclined extends Error {}

describe('RetryPolicy', () => {
  it('retries up to maxAttempts deliveries, then gives up', () => {
    const policy = new RetryPolicy({ maxAttempts: 3 });
    expect(policy.decide(new Error('x'), 1)).toMatchObject({ retry: true });
    expect(policy.decide(new Error('x'), 2)).toMatchObject({ retry: true });
    expect(policy.decide(new Error('x'), 3)).toEqual({ retry: false, reason: 'max-attempts' });
  });

  it('never retries NonRetryableError subclasses or configured classes', () => {
    const policy = new RetryPolicy({ nonRetryable: [PaymentDeclined] });
    expect(policy.decide(new EventValidationError('a', 1, []), 1)).toEqual({
      retry: false,
      reason: 'non-retryable',
    });
    expect(policy.decide(new PaymentDeclined(), 1)).toEqual({
      retry: false,
      reason: 'non-retryable',
    });
  });

  it('accepts a predicate for non-retryable errors', () => {
    const policy = new RetryPolicy({ nonRetryable: (e) => (e as Error).message === 'fatal' });
    expect(policy.decide(new Error('fatal'), 1)).toMatchObject({ retry: false });
    expect(policy.decide(new Error('flaky'), 1)).toMatchObject({ retry: true });
  });

  it('draws the delay from [0, min(max, base * 2^(attempt-1))] (full jitter)', () => {
    const top = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect(top.delayAfter(1)).toBe(100);
    expect(top.delayAfter(2)).toBe(200);
    expect(top.delayAfter(4)).toBe(800);
    expect(top.delayAfter(5)).toBe(1000);
    expect(top.delayAfter(30)).toBe(1000);
    const bottom = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    expect(bottom.delayAfter(5)).toBe(0);
  });

  it('spreads delays across the whole window', () => {
    const policy = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 10_000 });
    const delays = Array.from({ length: 2000 }, () => policy.delayAfter(3));
    expect(Math.min(...delays)).toBeLessThan(40);
    expect(Math.max(...delays)).toBeGreaterThan(360);
    expect(Math.max(...delays)).toBeLessThanOrEqual(400);
  });

  it('rejects options that cannot work', () => {
    expect(() => new RetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => new RetryPolicy({ baseDelayMs: 500, maxDelayMs: 100 })).toThrow(/maxDelayMs/);
  });
});
