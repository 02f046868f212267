import type { ProblemInput, Toolchain } from "../framework/toolchain.js";
import type { Objective, Plan } from "../../kernel/plan/index.js";

export interface DeterminismReport {
  /** True when every run produced the same output digest and metric value. */
  deterministic: boolean;
  /** Output digest of each run, in run order. */
  digests: string[];
  /** Metric value of each run, in run order. */
  values: number[];
}

/**
 * Evaluates `plan` on `input` `runs` times (requires runs ≥ 2) and reports whether
 * the outputs differ. Works with any `Toolchain`; a toolchain whose `evaluate` is
 * deterministic must always report `deterministic: true`.
 */
export async function checkDeterminism(
  toolchain: Toolchain,
  input: ProblemInput,
  plan: Plan,
  runs = 3,
  objective: Objective = "ir-instcount",
): Promise<DeterminismReport> {
  if (!Number.isInteger(runs) || runs < 2) throw new RangeError(`checkDeterminism: runs must be an integer ≥ 2, got ${runs}`);
  const digests: string[] = [];
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await toolchain.evaluate(input, plan, objective);
    digests.push(m.outputDigest);
    values.push(m.value);
  }
  const deterministic = digests.every((d) => d === digests[0]) && values.every((v) => v === values[0]);
  return { deterministic, digests, values };
}
