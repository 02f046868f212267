/**
 * Per-identity token buckets: each identity may make `burst` calls at once and
 * `perSecond` calls per second sustained. In memory, per node: a limit on what one
 * certificate can make this process do, not a global quota.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `identity`; false when its bucket is empty. */
  tryTake(identity: string): boolean {
    const t = this.now();
    const bucket = this.buckets.get(identity) ?? { tokens: this.burst, at: t };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((t - bucket.at) / 1000) * this.perSecond);
    bucket.at = t;
    this.buckets.set(identity, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
