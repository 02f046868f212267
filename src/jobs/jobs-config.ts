/** Queue timing, per registry node. */
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
}

export const DEFAULT_JOBS_CONFIG: JobsConfig = {
  defaultLeaseMs: 30_000,
  maxLeaseMs: 10 * 60_000,
  defaultMaxAttempts: 5,
  baseBackoffMs: 1_000,
  maxBackoffMs: 5 * 60_000,
};

/**
 * Delay before attempt `attempts + 1` after `attempts` failed ones: base · 2^(attempts−1),
 * capped. No jitter: a recorded run replays with the same schedule.
 */
export function backoffMs(config: JobsConfig, attempts: number): number {
  return Math.min(config.maxBackoffMs, config.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
}
