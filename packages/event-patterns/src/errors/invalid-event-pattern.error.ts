/**
 * An event pattern is malformed: EventBridge would refuse it with InvalidEventPatternException.
 * `path` locates the offending field (`detail.amount`, `detail.$or[1].state`), empty for the
 * pattern as a whole.
 */
export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternError';

  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(
      path ? `Invalid event pattern at "${path}": ${reason}` : `Invalid event pattern: ${reason}`,
    );
  }
}

/** Builds the error for one place of a pattern, whichever of its checks fails there. */
export type Refusal = (reason: string) => InvalidEventPatternError;

/** A `Refusal` at `location`; `subject` (an operator's name) starts every reason. */
export function refusalAt(location: string, subject = ''): Refusal {
  return (reason) => new InvalidEventPatternError(location, subject + reason);
}
