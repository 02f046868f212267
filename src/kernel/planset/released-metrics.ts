/** The baseline a released improvement is read against: 10,000 basis points (100 %). */
export const RELEASE_BASELINE_BP = 10_000;

/**
 * How a plan set (and a strategy) reads a private problem's release — one noised
 * improvement in basis points — as a metric pair: baseline 10000, achieved 10000 − the
 * improvement, the improvement first clamped to the release's own clamp range. Noise can
 * push a release far outside that range (−47,000 or +48,000 bp with the default scale);
 * clamping it back is post-processing, free of privacy cost, and keeps an impossible
 * "better than nothing left" from either vanishing (achieved ≤ 0 is no metric) or
 * dominating a plan set.
 */
export function releasedMetrics(valueBp: bigint, clampMin: bigint, clampMax: bigint): { baseline: number; achieved: number } {
  const lo = clampMin <= clampMax ? clampMin : clampMax;
  const hi = clampMin <= clampMax ? clampMax : clampMin;
  const bp = valueBp < lo ? lo : valueBp > hi ? hi : valueBp;
  return { baseline: RELEASE_BASELINE_BP, achieved: RELEASE_BASELINE_BP - Number(bp) };
}
