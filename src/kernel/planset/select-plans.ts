/**
 * Greedy submodular selection of a few plans that together come closest to the best
 * known result on the most problems (the "coreset" of Coreset-NVP, Liang et al. 2023).
 * Pure: a score matrix in, the chosen plans out.
 */

/** Scores of candidate plans on problems: `scores[c][p]` in [0, 1], higher is better. */
export interface ScoreMatrix {
  /** One key per candidate (a `planKey`); ties are broken by it, so it must be unique. */
  candidates: readonly string[];
  /** `scores[c]` has one entry per problem (the same count for every candidate). */
  scores: readonly (readonly number[])[];
}

/** One chosen candidate, in selection order. */
export interface Selected {
  /** Index into `ScoreMatrix.candidates`. */
  index: number;
  /** What it added to the objective when chosen (> 0); chosen in a later layer, what it added to that layer's coverage. */
  gain: number;
}

/**
 * The same scores, sparse: `rows[c]` lists candidate c's positive scores as problem
 * indices `p` (ascending, < `problems`) and scores `s`. A plan is measured on few of many
 * problems, so this is what a large market builds (`buildPlanSet`).
 */
export interface SparseScores {
  candidates: readonly string[];
  problems: number;
  rows: ReadonlyArray<{ readonly p: readonly number[]; readonly s: readonly number[] }>;
}

/** How a selection goes on once the chosen plans cover everything any candidate can. */
export interface SelectOptions {
  /**
   * "stop" (the default): the selection ends at coverage saturation. "next-layer": a new
   * layer starts — the same greedy on the candidates not yet chosen, against an empty
   * coverage (the residual set) — so every problem gets its next-best alternative, then
   * the one after, until `max` plans or no candidate left scores anywhere. A plan chosen
   * in a later layer reports its gain in that layer.
   */
  afterSaturation?: "stop" | "next-layer";
}

/**
 * Chooses at most `max` candidates maximising Σ over problems of the best score among
 * the chosen (a monotone submodular coverage function), greedily: each round takes the
 * candidate with the largest marginal gain, the smallest key among equal gains. Stops
 * early when no candidate adds anything (or, with `afterSaturation: "next-layer"`, starts
 * the next layer). Lazy evaluation (Minoux): a candidate's last gain bounds its next one,
 * so only candidates whose bound could still win are re-evaluated; the result is exactly
 * the plain greedy's. Requires scores ≥ 0.
 */
export function selectPlans(matrix: ScoreMatrix, max: number, options: SelectOptions = {}): Selected[] {
  const problems = matrix.scores[0]?.length ?? 0;
  const rows = matrix.scores.map((row) => {
    const p: number[] = [];
    const s: number[] = [];
    row.forEach((v, i) => { if (v > 0) { p.push(i); s.push(v); } });
    return { p, s };
  });
  return selectPlansSparse({ candidates: matrix.candidates, problems, rows }, max, options);
}

/** `selectPlans` on sparse scores: the same choice, in time proportional to the positive scores. */
export function selectPlansSparse(sparse: SparseScores, max: number, options: SelectOptions = {}): Selected[] {
  const { candidates, rows } = sparse;
  let covered = new Float64Array(sparse.problems);
  // Summed in ascending problem order over positive entries: the dense sum, bit for bit.
  const gainOf = (c: number): number => {
    let g = 0;
    const { p, s } = rows[c]!;
    for (let i = 0; i < p.length; i++) if (s[i]! > covered[p[i]!]!) g += s[i]! - covered[p[i]!]!;
    return g;
  };
  // Max-heap on (bound, then smaller key first); `round` says which coverage a bound was computed against.
  const before = (a: Entry, b: Entry): boolean => a.bound > b.bound || (a.bound === b.bound && candidates[a.index]! < candidates[b.index]!);
  let heap = new Heap<Entry>(before);
  for (let c = 0; c < candidates.length; c++) heap.push({ index: c, bound: gainOf(c), round: 0 });
  const out: Selected[] = [];
  let layerStart = 0; // index in `out` of the current layer's first plan
  for (let round = 0; out.length < max && heap.size > 0; ) {
    const top = heap.pop()!;
    if (top.round !== round) {
      // Stale bound: re-evaluate; the true gain is ≤ the bound (submodularity).
      heap.push({ index: top.index, bound: gainOf(top.index), round });
      continue;
    }
    if (top.bound <= 0) {
      // Saturated: nothing left adds coverage. A new layer only helps if this one chose something.
      if (options.afterSaturation !== "next-layer" || out.length === layerStart) break;
      // The residual set: the candidates not chosen, against an empty coverage. Bounds from the
      // last layer are not bounds any more (coverage went down), so every one is computed afresh.
      covered = new Float64Array(sparse.problems);
      const rest = [top.index, ...heap.drain().map((e) => e.index)];
      heap = new Heap<Entry>(before);
      round++;
      for (const c of rest) heap.push({ index: c, bound: gainOf(c), round });
      layerStart = out.length;
      continue;
    }
    out.push({ index: top.index, gain: top.bound });
    const { p, s } = rows[top.index]!;
    for (let i = 0; i < p.length; i++) if (s[i]! > covered[p[i]!]!) covered[p[i]!] = s[i]!;
    round++;
  }
  return out;
}

interface Entry {
  index: number;
  bound: number;
  /** The round whose coverage `bound` was computed against. */
  round: number;
}

/** A binary heap; `before(a, b)` says a comes out first. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  /** Empties the heap, returning its items in no particular order. */
  drain(): T[] {
    return this.items.splice(0);
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
