import { redactSecrets } from './redact-secrets';

/**
 * `Name: message` for an Error, the value as a string otherwise: how errors appear in logs,
 * dead-letter attributes and health details. Credentials are masked and the length is capped.
 */
export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/** A stack says where, so it may run longer than an error message before it is cut. */
const MAX_STACK_TEXT = 8000;

/** The stack of an Error, masked and capped like `describeError`; undefined for other values. */
export function stackOf(error: unknown): string | undefined {
  return error instanceof Error && error.stack !== undefined
    ? redactSecrets(error.stack, MAX_STACK_TEXT)
    : undefined;
}
