/** A JSON object, as opposed to an array or a scalar: what patterns and matchable events are. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
