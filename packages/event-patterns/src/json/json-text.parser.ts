/**
 * `JSON.parse`, with its error turned into the caller's own: a pattern and an event that are not
 * valid JSON are refused in different terms.
 */
export function parseJsonText(text: string, fail: (reason: string) => Error): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw fail((error as Error).message);
  }
}
