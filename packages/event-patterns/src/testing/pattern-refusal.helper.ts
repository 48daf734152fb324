import { InvalidEventPatternError } from '../errors/invalid-event-pattern.error';
import { validatePattern } from '../parse/event-pattern.validator';

/** A pattern `validatePattern` must refuse, where, and why. */
export type RefusalRow = [
  description: string,
  pattern: object | string,
  path: string,
  message: RegExp,
];

/** The error `validatePattern` throws for `pattern`; fails the test when it accepts it. */
export function errorOf(pattern: object | string): InvalidEventPatternError {
  try {
    validatePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(pattern)}`);
}

/** `{ amount: [alternative] }` nested under `data`, to check paths through objects. */
export function fieldWith(alternative: unknown): object {
  return { data: { amount: [alternative] } };
}

/**
 * One test per row, grouped as `refused` is: each pattern is refused with an
 * `InvalidEventPatternError` that names the path and gives the reason.
 */
export function describeRefusals(title: string, refused: Record<string, RefusalRow[]>): void {
  describe.each(Object.entries(refused))(title, (_group, rows) => {
    it.each(rows)('%s', (_what, pattern, path, message) => {
      const error = errorOf(pattern);
      expect(error.name).toBe('InvalidEventPatternError');
      expect(error.path).toBe(path);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(path ? `at "${path}"` : 'Invalid event pattern:');
    });
  });
}
