import type { StandardSchemaV1 } from '@standard-schema/spec';
import { EventValidationError, type EventValidationIssue } from '../errors/event-validation.error';

function pathOf(issue: StandardSchemaV1.Issue): string {
  if (!issue.path?.length) return '';
  return issue.path
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map(String)
    .join('.');
}

function unwrap<T>(result: StandardSchemaV1.Result<T>, eventType: string, version: number): T {
  if (result.issues) {
    const issues: EventValidationIssue[] = result.issues.map((issue) => ({
      path: pathOf(issue),
      message: issue.message,
    }));
    throw new EventValidationError(eventType, version, issues);
  }
  return result.value;
}

/**
 * Validates `data` with a Standard Schema (zod, valibot, arktype, …) and returns the schema's
 * output. Stays synchronous when the schema is, so the common case costs no extra promise.
 */
export function validateWithSchema<T>(
  schema: StandardSchemaV1<unknown, T>,
  data: unknown,
  eventType: string,
  version: number,
): T | Promise<T> {
  const result = schema['~standard'].validate(data);
  if (result instanceof Promise) {
    return result.then((settled) => unwrap(settled, eventType, version));
  }
  return unwrap(result, eventType, version);
}
