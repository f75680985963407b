// Running async tasks with at most N in flight: chunk compression and uploads overlap this much.

/** Runs `task` for every item with at most `limit` running at once; rejects with the first failure. */
export async function forEachLimited<T>(
  items: Iterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failed) return;
      signal?.throwIfAborted();
      const next = iterator.next();
      if (next.done) return;
      try {
        await task(next.value);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}
