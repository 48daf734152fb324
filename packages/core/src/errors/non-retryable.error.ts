/**
 * Base class for failures that no retry can fix (bad data, an unknown version, a broken contract).
 * An event whose handler throws one goes to the dead-letter destination at once.
 */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
