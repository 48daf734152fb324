import { NonRetryableError } from './non-retryable.error';

/** One problem found by an event's schema. */
export interface EventValidationIssue {
  /** Dotted path of the failing field (`items.0.sku`), empty for the whole payload. */
  readonly path: string;
  readonly message: string;
}

/** The data of an event does not satisfy the schema of its definition. */
export class EventValidationError extends NonRetryableError {
  override name = 'EventValidationError';

  constructor(
    readonly eventType: string,
    readonly version: number,
    readonly issues: readonly EventValidationIssue[],
  ) {
    super(
      `Event "${eventType}" v${version} has invalid data: ` +
        issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ') +
        '. Fix the data given to the definition, or the schema in defineEvent().',
    );
  }
}
