import { NonRetryableError } from './non-retryable.error';

/** A consumer received a version of an event newer than the definition it knows. */
export class UnsupportedEventVersionError extends NonRetryableError {
  override name = 'UnsupportedEventVersionError';

  constructor(
    readonly eventType: string,
    readonly receivedVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `Received "${eventType}" v${receivedVersion}, but this consumer knows it only up to ` +
        `v${knownVersion}. Deploy the consumer with the v${receivedVersion} definition before ` +
        `producers publish it.`,
    );
  }
}

/** An old version of an event cannot be lifted to the current one: an upcaster is missing. */
export class MissingUpcasterError extends NonRetryableError {
  override name = 'MissingUpcasterError';

  constructor(
    readonly eventType: string,
    readonly fromVersion: number,
    readonly toVersion: number,
  ) {
    super(
      `Cannot read "${eventType}" v${fromVersion} as v${toVersion}: no upcaster from ` +
        `v${fromVersion}. Add upcasters[${fromVersion}] to the defineEvent() of "${eventType}".`,
    );
  }
}
