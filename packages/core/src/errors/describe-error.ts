/** `Name: message` for an Error, the value as a string otherwise: how errors appear in logs. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
