import { NonRetryableError } from './non-retryable.error';

/** Something that is not a well-formed event envelope was published or received. */
export class InvalidEventError extends NonRetryableError {
  override name = 'InvalidEventError';
}
