import { IdempotencyStoreTimeoutError } from '../errors/idempotency.errors';

/**
 * One idempotency store call, bounded by `timeoutMs`. A call that times out may still complete in
 * the store later; tokens make that harmless (a late claim leaves a lock that expires).
 */
export function boundedStoreCall<T>(
  operation: string,
  timeoutMs: number,
  send: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new IdempotencyStoreTimeoutError(operation, timeoutMs)),
      timeoutMs,
    );
  });
  // Async, so that a store that throws instead of rejecting is bounded and caught the same way.
  const pending = (async () => send())();
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
