export interface AucBanditOptions {
  /** Weight of the exploration term (OpenTuner's default: 0.05). */
  c?: number;
  /** How many of the latest uses count (OpenTuner's default: 500). */
  window?: number;
}

/**
 * OpenTuner's AUC bandit (`AUCBanditMetaTechnique`): which arm (search technique) to use
 * next, from a sliding window of its uses and whether each one found a new best.
 * - exploitation: the area under the arm's curve of successes — its i-th use in the
 *   window adds i when it succeeded, normalised by n(n+1)/2 — so recent successes count
 *   more than old ones, and an arm that stopped finding anything fades;
 * - exploration: `c · √(2 ln N / n)` (UCB1), N uses in the window, n of them the arm's;
 *   an arm never used scores +∞.
 * Ties go to the arm listed first, so choices are deterministic given the record.
 */
export class AucBandit {
  private readonly c: number;
  private readonly window: number;
  private readonly uses: Array<{ arm: string; success: boolean }> = [];

  constructor(readonly arms: readonly string[], options: AucBanditOptions = {}) {
    this.c = options.c ?? 0.05;
    this.window = options.window ?? 500;
  }

  /** Records one use of `arm` and whether it found a new best. */
  record(arm: string, success: boolean): void {
    this.uses.push({ arm, success });
    if (this.uses.length > this.window) this.uses.shift();
  }

  /** The arm's AUC of successes in the window, in [0, 1]; 0 when unused. */
  exploitation(arm: string): number {
    let n = 0, area = 0;
    for (const u of this.uses) {
      if (u.arm !== arm) continue;
      n++;
      if (u.success) area += n;
    }
    return n === 0 ? 0 : (2 * area) / (n * (n + 1));
  }

  /**
   * The arm's score; `pending` counts uses already handed out but not yet judged (a batch
   * being evaluated), as uses for exploration only, so one batch is spread over arms.
   */
  score(arm: string, pending: ReadonlyMap<string, number> = new Map()): number {
    let mine = pending.get(arm) ?? 0;
    let all = 0;
    for (const n of pending.values()) all += n;
    for (const u of this.uses) {
      all++;
      if (u.arm === arm) mine++;
    }
    if (mine === 0) return Infinity;
    return this.exploitation(arm) + this.c * Math.sqrt((2 * Math.log(all)) / mine);
  }

  /** The best-scoring arm not in `exclude`, or undefined when every arm is excluded. */
  choose(pending: ReadonlyMap<string, number> = new Map(), exclude: ReadonlySet<string> = new Set()): string | undefined {
    let best: { arm: string; score: number } | undefined;
    for (const arm of this.arms) {
      if (exclude.has(arm)) continue;
      const s = this.score(arm, pending);
      if (best === undefined || s > best.score) best = { arm, score: s };
    }
    return best?.arm;
  }

  /** Uses and successes per arm in the window (for reports and tests). */
  tally(): Record<string, { uses: number; successes: number }> {
    const out: Record<string, { uses: number; successes: number }> = {};
    for (const arm of this.arms) out[arm] = { uses: 0, successes: 0 };
    for (const u of this.uses) {
      const t = (out[u.arm] ??= { uses: 0, successes: 0 });
      t.uses++;
      if (u.success) t.successes++;
    }
    return out;
  }
}
