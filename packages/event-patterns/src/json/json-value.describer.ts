/**
 * A value as it would appear in JSON, for error messages. Never throws: the value comes from the
 * caller and may hold cycles or bigints, and a message about it should not fail in turn.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
