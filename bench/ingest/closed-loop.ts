/** What one load run measured. */
export interface LoadResult {
  completed: number;
  failed: number;
  /** Wall time of the measured window, ms. */
  elapsedMs: number;
  /** Per-call latency, ms, sorted ascending. */
  latenciesMs: number[];
  /** The first failure, for the report. */
  firstError?: unknown;
}

/**
 * Runs `call(i)` for i = start … start+count-1 with `concurrency` calls in flight (a closed
 * loop: each finished call starts the next), stopping early after `maxMs`. Latency is
 * measured around each whole call, so work the caller does inside `call` (building and
 * signing the request) is part of it, as it is for a real adapter.
 */
export async function runClosedLoop(start: number, count: number, concurrency: number, maxMs: number, call: (i: number) => Promise<void>): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let next = start;
  let failed = 0;
  let firstError: unknown;
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  const worker = async (): Promise<void> => {
    while (next < start + count && performance.now() < deadline) {
      const i = next++;
      const t = performance.now();
      try {
        await call(i);
        latenciesMs.push(performance.now() - t);
      } catch (err) {
        failed++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - t0;
  latenciesMs.sort((a, b) => a - b);
  return { completed: latenciesMs.length, failed, elapsedMs, latenciesMs, ...(firstError === undefined ? {} : { firstError }) };
}

/** The q-quantile (0 < q <= 1) of ascending `sorted` by nearest rank; NaN when empty. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
