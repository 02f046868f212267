import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";

/**
 * A small learned model of a plan set: for a new problem's features, each plan's predicted
 * score (its share of the best known improvement there). Kernel ridge regression, one
 * output per plan, trained on the set's own problems only (their features and scores are in
 * the set), so a prediction is a function of the set's version and the features alone.
 *
 * Features are read as Autophase-style counts: log(1 + |x|) with the sign kept, then
 * standardised over the set's problems (features constant there are dropped). The kernel
 * is a Gaussian on those, its width the median squared distance between the set's
 * problems; the ridge penalty is the one of `PENALTIES` with the smallest leave-one-out
 * error over all plans (closed form: residual ÷ (1 − leverage)), the smallest on ties.
 */
export interface PlanScoreModel {
  /** Predicted score of each plan of the set (parallel to `PlanSet.plans`). */
  predict(features: Readonly<Record<string, number>>): number[];
  /** The ridge penalty leave-one-out chose. */
  penalty: number;
}

/** The ridge penalties tried (the kernel's diagonal is 1). */
export const PENALTIES = [0.01, 0.03, 0.1, 0.3, 1, 3, 10] as const;

/** Most problems a model is trained on (the solve is cubic); a bigger set keeps those first by id. */
export const MAX_TRAINING_PROBLEMS = 400;

/**
 * Fits the model of `set`; undefined when it cannot learn anything (fewer than 2 problems,
 * no plans, or no feature that varies between its problems).
 */
export function fitPlanScoreModel(set: PlanSet): PlanScoreModel | undefined {
  const problems = [...set.problems].sort((a, b) => (a.problemId < b.problemId ? -1 : a.problemId > b.problemId ? 1 : 0)).slice(0, MAX_TRAINING_PROBLEMS);
  const m = set.plans.length;
  if (problems.length < 2 || m === 0) return undefined;
  const names = [...new Set(problems.flatMap((p) => p.features.map((f) => f.name)))].sort();
  const raw = problems.map((p) => {
    const byName = new Map(p.features.map((f) => [f.name, f.value]));
    return names.map((n) => squash(byName.get(n) ?? 0));
  });
  const n = raw.length;
  // Standardise; keep only features that vary between the problems.
  const keep: Array<{ j: number; mean: number; sd: number }> = [];
  names.forEach((_, j) => {
    const mean = raw.reduce((s, r) => s + r[j]!, 0) / n;
    const sd = Math.sqrt(raw.reduce((s, r) => s + (r[j]! - mean) ** 2, 0) / n);
    if (sd > 1e-12) keep.push({ j, mean, sd });
  });
  if (keep.length === 0) return undefined;
  const scale = (row: readonly number[]): number[] => keep.map(({ j, mean, sd }) => (row[j]! - mean) / sd);
  const X = raw.map(scale);
  const d2 = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
  const pairs: number[] = [];
  for (let i = 0; i < n; i++) for (let k = i + 1; k < n; k++) pairs.push(d2(X[i]!, X[k]!));
  pairs.sort((a, b) => a - b);
  const width = Math.max(pairs[Math.floor(pairs.length / 2)]!, 1e-9);
  const kernel = (a: readonly number[], b: readonly number[]): number => Math.exp(-d2(a, b) / width);
  const K = X.map((a) => X.map((b) => kernel(a, b)));

  // Targets centred per plan: a plan's prediction far from every problem is its mean score.
  const mean = set.plans.map((_, c) => problems.reduce((s, p) => s + (p.scores[c] ?? 0), 0) / n);
  const Y = problems.map((p) => set.plans.map((_, c) => (p.scores[c] ?? 0) - mean[c]!));

  let best: { penalty: number; alpha: number[][]; error: number } | undefined;
  for (const penalty of PENALTIES) {
    const inverse = invert(K.map((row, i) => row.map((v, k) => (i === k ? v + penalty : v))));
    if (inverse === undefined) continue;
    const alpha = matMul(inverse, Y);
    // Leave-one-out residual of problem i: (y_i − ŷ_i) / (1 − H_ii), H = K (K + λI)⁻¹.
    let error = 0;
    for (let i = 0; i < n; i++) {
      const leverage = K[i]!.reduce((s, v, k) => s + v * inverse[k]![i]!, 0);
      const fitted = set.plans.map((_, c) => K[i]!.reduce((s, v, k) => s + v * alpha[k]![c]!, 0));
      const denominator = Math.max(1 - leverage, 1e-9);
      for (let c = 0; c < m; c++) error += ((Y[i]![c]! - fitted[c]!) / denominator) ** 2;
    }
    if (best === undefined || error < best.error) best = { penalty, alpha, error };
  }
  if (best === undefined) return undefined;
  const { alpha, penalty } = best;
  return {
    penalty,
    predict(features) {
      const x = scale(names.map((name) => squash(features[name] ?? 0)));
      const k = X.map((row) => kernel(x, row));
      return set.plans.map((_, c) => mean[c]! + k.reduce((s, v, i) => s + v * alpha[i]![c]!, 0));
    },
  };
}

function squash(x: number): number {
  return Number.isFinite(x) ? Math.sign(x) * Math.log1p(Math.abs(x)) : 0;
}

function matMul(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  const cols = b[0]?.length ?? 0;
  return a.map((row) => {
    const out = new Array<number>(cols).fill(0);
    row.forEach((v, k) => { if (v !== 0) for (let c = 0; c < cols; c++) out[c]! += v * b[k]![c]!; });
    return out;
  });
}

/** The inverse of a symmetric positive definite matrix by Gauss–Jordan with partial pivoting; undefined when singular. */
function invert(matrix: readonly (readonly number[])[]): number[][] | undefined {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, k) => (i === k ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]!;
    const inv = 1 / p[col]!;
    for (let k = 0; k < 2 * n; k++) p[k]! *= inv;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = a[r]!;
      const f = row[col]!;
      if (f !== 0) for (let k = 0; k < 2 * n; k++) row[k]! -= f * p[k]!;
    }
  }
  return a.map((row) => row.slice(n));
}
