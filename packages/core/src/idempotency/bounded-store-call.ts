import { IdempotencyStoreTimeoutError } from '../errors/idempotency.errors';
import { Deadlines, type Watched } from '../utils/deadlines';
import { isThenable, type MaybePromise } from '../utils/thenable';

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
 * One idempotency store call, bounded by `timeoutMs`. A store that answers synchronously (one in
 * memory) has nothing to bound: its answer, or what it throws, comes back as it is, with no
 * promise made. A call that times out may still complete in the store later; tokens make that
 * harmless (a late claim leaves a lock that expires). The calls share one timer per timeout
 * instead of one each: a timer per call cost more than a fast store's answer.
 */
export function boundedStoreCall<T>(
  operation: string,
  timeoutMs: number,
  send: () => MaybePromise<T>,
): T | Promise<T> {
  let answer: MaybePromise<T>;
  try {
    answer = send();
  } catch (error) {
    throw asError(error);
  }
  if (!isThenable(answer)) return answer;
  const pending = Promise.resolve(answer);
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
