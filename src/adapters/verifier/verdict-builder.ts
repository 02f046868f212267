import type { LayerResult, Verdict } from "./verdict.js";

/**
 * Collects layer results in order and turns them into a `Verdict`. `stopped()` is
 * true once a layer rejected or could not decide and the caller should not spend
 * time on later layers (unless it asked for all of them).
 */
export class VerdictBuilder {
  readonly layers: LayerResult[] = [];

  constructor(private readonly runAll: boolean) {}

  add(layer: LayerResult): void {
    this.layers.push(layer);
  }

  stopped(): boolean {
    return !this.runAll && this.layers.some((l) => !l.ok);
  }

  verdict(): Verdict {
    const rejected = this.layers.find((l) => !l.ok && l.decided !== false);
    const undecided = this.layers.some((l) => l.decided === false);
    return {
      ok: this.layers.every((l) => l.ok),
      decided: rejected !== undefined || !undecided,
      layers: this.layers,
      ...(rejected ? { rejectedBy: rejected.name } : {}),
    };
  }
}
