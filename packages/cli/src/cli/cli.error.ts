/**
 * A mistake in how the command was called or configured: printed as its message alone (no stack),
 * which says what is wrong and what to do, with exit code 2.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
