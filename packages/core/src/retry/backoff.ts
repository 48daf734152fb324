/**
 * Exponential backoff with full jitter: the wait before the attempt that follows failed attempt
 * number `attempt` (1-based) is a random time in [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))].
 * Full jitter spreads the retries of many callers that failed together, so they do not come back
 * in lockstep. The one formula behind handler retries, publish retries, poll back-off and lock waits.
 */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * (ceiling + 1));
}
