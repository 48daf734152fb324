import { IdempotencyStoreTimeoutError } from '../errors/idempotency.errors';
import { Deadlines, type Watched } from '../utils/deadlines';

/** One timer per timeout in use (there are a few: one per configured `operationTimeoutMs`). */
const deadlinesByTimeout = new Map<number, Deadlines>();

/** A store call in flight, rejected with a timeout error when its deadline passes first. */
class StoreCall implements Watched {
  previous: Watched | undefined = undefined;
  next: Watched | undefined = undefined;

  constructor(
    readonly deadline: number,
    private readonly operation: string,
    private readonly timeoutMs: number,
    private readonly reject: (error: Error) => void,
  ) {}

  expire(): void {
    this.reject(new IdempotencyStoreTimeoutError(this.operation, this.timeoutMs));
  }
}

/**
 * One idempotency store call, bounded by `timeoutMs`. A call that times out may still complete in
 * the store later; tokens make that harmless (a late claim leaves a lock that expires). The calls
 * share one timer per timeout instead of one each: a store in memory answers in microseconds, and
 * a timer per call cost more than the call.
 */
export function boundedStoreCall<T>(
  operation: string,
  timeoutMs: number,
  send: () => Promise<T>,
): Promise<T> {
  let pending: Promise<T>;
  try {
    // A store that throws instead of rejecting is caught the same way.
    pending = Promise.resolve(send());
  } catch (error) {
    return Promise.reject(asError(error));
  }
  if (!(timeoutMs < Infinity)) return pending;
  let deadlines = deadlinesByTimeout.get(timeoutMs);
  if (!deadlines) deadlinesByTimeout.set(timeoutMs, (deadlines = new Deadlines(timeoutMs)));
  const watching = deadlines;
  return new Promise<T>((resolve, reject) => {
    const call = new StoreCall(watching.deadlineFromNow(), operation, timeoutMs, reject);
    watching.watch(call);
    pending.then(
      (value) => {
        watching.settled(call);
        resolve(value);
      },
      (error: unknown) => {
        watching.settled(call);
        reject(asError(error));
      },
    );
  });
}

/** What a store threw or rejected with, as an `Error` (a string is kept as its message). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
