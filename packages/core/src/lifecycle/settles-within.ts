/**
 * Whether `work` settles (resolves or rejects) within `deadlineMs`. The timer is cleared as soon
 * as either side wins, so an early settle leaves nothing behind that keeps the process alive.
 * The one drain-deadline race of the library: transports use it to bound their shutdown.
 */
export async function settlesWithin(work: Promise<unknown>, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
