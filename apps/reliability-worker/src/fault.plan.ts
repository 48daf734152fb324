import { createHash } from 'node:crypto';

/**
 * Whether the handler fails the first attempt at `eventId`: a hash of the id, below `fraction`.
 * Deterministic, so the orchestrator knows which events should have been retried without asking
 * the worker, and every worker agrees.
 */
export function failsFirstAttempt(eventId: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  const hash = createHash('sha256').update(eventId).digest();
  return hash.readUInt32BE(0) / 0x1_0000_0000 < fraction;
}

/** What the handler throws on an injected failure; retryable, like a timeout would be. */
export class InjectedFailure extends Error {
  override name = 'InjectedFailure';

  constructor(eventId: string) {
    super(`injected failure of the first attempt at event ${eventId}`);
  }
}
