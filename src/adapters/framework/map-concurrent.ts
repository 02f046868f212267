import { availableParallelism } from "node:os";

/**
 * `fn` over `items`, at most `limit` at a time (default: the CPUs), results in item
 * order. Calls start in item order; after a call rejects no new one starts, and once the
 * running ones settle the rejection of the lowest index is thrown — always the first
 * failing item overall, whatever the timing.
 */
export async function mapConcurrent<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, limit = availableParallelism()): Promise<R[]> {
  const results = new Array<R>(items.length);
  const errors = new Map<number, unknown>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && errors.size === 0) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        errors.set(i, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.size > 0) throw errors.get(Math.min(...errors.keys()));
  return results;
}
