/** A value that may come now or later: what a synchronous or an asynchronous answer gives. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** True for promises and promise-likes (anything with a `then` method), as `await` treats them. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Calls `answer` now and gives what it returns or throws as a promise. */
export function promiseOf<T>(answer: () => MaybePromise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(answer()));
}
