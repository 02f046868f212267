/** Queue timing and spot checks, per registry node. */
export interface JobsConfig {
  /** Lease when a claim asks for none. */
  defaultLeaseMs: number;
  /** Longest lease a claim or heartbeat may ask for. */
  maxLeaseMs: number;
  /** Attempts before a job is dead-lettered, when the enqueuer gives none. */
  defaultMaxAttempts: number;
  /** Backoff after the first failure; doubles per attempt up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /**
   * Fraction (0..1) of completed jobs on public problems re-run on another adapter to
   * catch adapters that lie (`spot-checks.ts`). Private problems are never checked: their
   * IR must not reach another participant's adapter.
   */
  spotCheckFraction: number;
  /**
   * An adapter's first `newAdapterChecks` completions on public problems are always
   * checked (an adapter with little history has earned no trust yet: one that lies from
   * its first job is caught at once). 0 turns the rule off.
   */
  newAdapterChecks: number;
  /**
   * A completion that would become its problem's best result — its metric below every
   * accepted result of the problem's jobs so far, or the problem's first result — is always
   * checked: a lie pays only if it wins, so the results that win are the ones checked.
   * False turns the rule off.
   */
  checkNewBest: boolean;
}

export const DEFAULT_JOBS_CONFIG: JobsConfig = {
  defaultLeaseMs: 30_000,
  maxLeaseMs: 10 * 60_000,
  defaultMaxAttempts: 5,
  baseBackoffMs: 1_000,
  maxBackoffMs: 5 * 60_000,
  // One in twenty: an adapter lying on every public job has one checked after twenty on average.
  spotCheckFraction: 0.05,
  // Five re-runs per new adapter, once per node: cheap insurance against an adapter broken or
  // lying from the start; the new-best rule does the rest (bench/RESULTS.md, "Corroboration cost").
  newAdapterChecks: 5,
  checkNewBest: true,
};

/**
 * Delay before attempt `attempts + 1` after `attempts` failed ones: base · 2^(attempts−1),
 * capped. No jitter: a recorded run replays with the same schedule.
 */
export function backoffMs(config: JobsConfig, attempts: number): number {
  return Math.min(config.maxBackoffMs, config.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
}
