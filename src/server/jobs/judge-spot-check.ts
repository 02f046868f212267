import { OpmError } from "../../kernel/errors/index.js";

/**
 * One adapter's answer to a spot-checked job: what its signal reported or, for a check,
 * that its verifier rejected the plan's output (`rejected`; no signal, no metrics).
 */
export interface CheckOutcome {
  jobId: string;
  adapter: string;
  /** Empty for a rejection. */
  signalId: string;
  outputDigest: string;
  achieved: number;
  baseline: number;
  /** Why the adapter's verifier refused the transform (`verification_failed`), if it did. */
  rejected?: string;
}

/** What the registry does with the answers it has for one spot-checked job. */
export type Judgement =
  /** Two adapters agree: both signals count. */
  | { kind: "agreed"; accepted: CheckOutcome[] }
  /** Two adapters disagree: a third one must decide. */
  | { kind: "tie_break" }
  /** Two of three agree: they count; the third is refused and its adapter quarantined. */
  | { kind: "majority"; accepted: CheckOutcome[]; refused: CheckOutcome }
  /** Three different answers: none counts and nobody is quarantined (see `judgeSpotCheck`). */
  | { kind: "split"; refused: CheckOutcome[] };

/** True when two answers report the same artifact and the same metrics, or both refuse the transform. */
export function sameResult(a: CheckOutcome, b: CheckOutcome): boolean {
  if (a.rejected !== undefined || b.rejected !== undefined) return a.rejected !== undefined && b.rejected !== undefined;
  return a.outputDigest === b.outputDigest && a.achieved === b.achieved && a.baseline === b.baseline;
}

/**
 * Judges the answers of a spot check (requires 2 or 3 outcomes, from distinct adapters).
 * Plans are deterministic — the same compiler version, plan and input give the same
 * output digest and metric — so any difference means an adapter reported something its
 * compiler did not produce. Two answers: agreement accepts both, a difference calls for
 * a tie-break. Three: the two that agree win and the odd one out is refused. When all
 * three differ at least two adapters are wrong and the evidence cannot say which: every
 * signal is refused (none is trustworthy) and nobody is quarantined automatically (a
 * liar must not be able to get an honest adapter quarantined by disagreeing with it);
 * the audit event leaves the case to the operator and governors.
 */
export function judgeSpotCheck(outcomes: readonly CheckOutcome[]): Judgement {
  if (outcomes.length === 2) {
    return sameResult(outcomes[0]!, outcomes[1]!) ? { kind: "agreed", accepted: [...outcomes] } : { kind: "tie_break" };
  }
  if (outcomes.length !== 3) throw new OpmError("internal", `a spot check judges 2 or 3 answers, got ${outcomes.length}`);
  for (let odd = 0; odd < 3; odd++) {
    const rest = outcomes.filter((_, i) => i !== odd);
    if (sameResult(rest[0]!, rest[1]!)) {
      // With a majority of two, the odd one out either agrees too (all three the same) or is the minority.
      return sameResult(rest[0]!, outcomes[odd]!) ? { kind: "agreed", accepted: [...outcomes] } : { kind: "majority", accepted: rest, refused: outcomes[odd]! };
    }
  }
  return { kind: "split", refused: [...outcomes] };
}

/** `outcome` as evidence text: job, adapter, output digest and metrics. */
export function describeOutcome(o: CheckOutcome): string {
  if (o.rejected !== undefined) return `job ${o.jobId} by ${o.adapter}: its verifier rejected the transform (${o.rejected})`;
  return `job ${o.jobId} by ${o.adapter}: output ${o.outputDigest} achieved ${o.achieved} baseline ${o.baseline} (signal ${o.signalId})`;
}

/** `outcome` as the short claim a revocation reason quotes. */
export function claimOf(o: CheckOutcome): string {
  return o.rejected !== undefined ? "the transform is wrong (its verifier rejected it)" : `output ${o.outputDigest} achieved ${o.achieved}`;
}
