import { createHash } from 'node:crypto';

/**
 * The faults a worker injects by event id. Each plan but `fail-first` hashes the id with its own
 * name, so that the plans of one run pick different events.
 */
export type FaultPlan = 'fail-first' | 'give-up' | 'hang';

/**
 * Whether `plan` picks `eventId`: a hash of the id, below `fraction`. Deterministic, so the
 * orchestrator knows which events were picked without asking the worker, and every worker agrees.
 */
export function picks(plan: FaultPlan, eventId: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  const hash = createHash('sha256')
    .update(plan === 'fail-first' ? eventId : `${plan}:${eventId}`)
    .digest();
  return hash.readUInt32BE(0) / 0x1_0000_0000 < fraction;
}

/** Whether the handler fails the first attempt at `eventId` (FAIL_FRACTION). */
export function failsFirstAttempt(eventId: string, fraction: number): boolean {
  return picks('fail-first', eventId, fraction);
}

/** What the handler throws on an injected failure; retryable, like a timeout would be. */
export class InjectedFailure extends Error {
  override name = 'InjectedFailure';

  constructor(eventId: string) {
    super(`injected failure of the first attempt at event ${eventId}`);
  }
}
