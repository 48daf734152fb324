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
