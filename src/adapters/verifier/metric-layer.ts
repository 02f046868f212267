import { contentId } from "../../kernel/codec/index.js";
import type { Objective } from "../../kernel/plan/index.js";
import type { LayerResult } from "./verdict.js";

/**
 * Layer 4: the signal's claims against the artifact. The claimed output digest must
 * be the SHA-256 of the AFTER bytes, and the claimed metric must equal the value
 * recomputed from them (`recomputed[objective]`; absent = this compiler cannot
 * recompute that objective from the artifact alone, which is undecided, not a pass).
 * With no claim, the layer passes and reports what it recomputed.
 */
export function metricLayer(
  after: Uint8Array, recomputed: Partial<Record<Objective, number>>, objective: Objective,
  claimedMetric: number | undefined, claimedDigest: string | undefined,
): LayerResult {
  const digest = contentId(after);
  const values = Object.entries(recomputed).map(([k, v]) => `${k} ${v}`).join(", ");
  if (claimedDigest !== undefined && claimedDigest.toLowerCase() !== digest) {
    return { name: "metric", ok: false, evidence: `claimed output digest ${claimedDigest} but the AFTER artifact's SHA-256 is ${digest}` };
  }
  if (claimedMetric !== undefined) {
    const actual = recomputed[objective];
    if (actual === undefined) {
      return { name: "metric", ok: false, decided: false, evidence: `undecided: ${objective} cannot be recomputed from this artifact alone (recomputed: ${values || "nothing"})` };
    }
    if (actual !== claimedMetric) return { name: "metric", ok: false, evidence: `claimed ${objective} ${claimedMetric} but the AFTER artifact measures ${actual} (sha256 ${digest})` };
  }
  const claims = [
    claimedMetric !== undefined ? `${objective} ${claimedMetric} confirmed` : "no metric claimed",
    claimedDigest !== undefined ? "output digest confirmed" : "no digest claimed",
  ].join(", ");
  return { name: "metric", ok: true, evidence: `${claims}; recomputed from AFTER (sha256 ${digest}): ${values || "nothing"}` };
}
