/**
 * Maps `items` with at most `limit` calls of `fn` in flight, keeping the results in order. A
 * large publishAll would otherwise start every batch call at once and queue far more requests
 * than the HTTP agent has sockets.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Batch calls one publish keeps in flight: below the SDK's default pool of 50 sockets. */
export const PUBLISH_CALLS_IN_FLIGHT = 16;
