import { readFileSync } from "node:fs";
import type { Objective, PassOffer, Plan, PlanStep, SearchSpace } from "../../kernel/plan/index.js";

/** `opt_level=speed_and_size`: Cranelift's own choice for size, the baseline and every search's prefix. */
export const CRANELIFT_BASELINE_PLAN: Plan = { steps: [{ pass: "opt_level", value: "speed_and_size" }] };

/**
 * x86-64 settings offered as search moves when the machine has the CPU feature,
 * with the `/proc/cpuinfo` flag that says so. Only the scalar bit-manipulation
 * extensions: on the corpus (wasm from C at -O0) the SSE/AVX flags change no byte.
 */
const CPU_FEATURE_SETTINGS: ReadonlyArray<readonly [setting: string, cpuFlag: string]> = [
  ["has_popcnt", "popcnt"],
  ["has_lzcnt", "abm"],
  ["has_bmi1", "bmi1"],
  ["has_bmi2", "bmi2"],
];

/**
 * Settings offered as search moves whatever the machine: `is_pic=true` (calls to other
 * functions and libcalls go through the GOT, `call *[rip+…]`, instead of `movabs` +
 * `call reg`: smaller, same behaviour once linked position-independently).
 */
const PORTABLE_SETTING_MOVES: readonly PlanStep[] = [{ pass: "is_pic", value: "true" }];

/**
 * The moves a Cranelift search adds after `opt_level=speed_and_size`, from the catalog:
 * - every `step` that claims `semantics` (so not `canonicalize_nans`, which changes NaN
 *   bits). After `speed_and_size` they have changed no byte on the corpus, since
 *   `Context::compile` runs the same transforms again; they are kept so that a search
 *   can show it;
 * - the settings of `PORTABLE_SETTING_MOVES` and, for each CPU feature in `cpuFlags`
 *   (default: this machine's, `hostCpuFlags()`), its `has_*` setting set to `true` —
 *   never a feature the machine lacks, so the code would also run here.
 * Settings not in the catalog are left out. Other settings were measured and left out:
 * `opt_level=speed` gives the same bytes as `speed_and_size` and `none` is larger;
 * `enable_alias_analysis`, `enable_jump_tables` and the Spectre mitigations change no
 * byte on the corpus; `enable_nan_canonicalization`, `enable_pinned_reg` and
 * `libcall_call_conv` change behaviour or the ABI.
 */
export function craneliftSearchMoves(catalog: readonly PassOffer[], cpuFlags: ReadonlySet<string> = hostCpuFlags()): PlanStep[] {
  const offered = new Set(catalog.map((o) => o.name));
  const steps = catalog.filter((o) => o.level === "step" && o.invariants.includes("semantics")).map((o) => ({ pass: o.name }));
  const features = CPU_FEATURE_SETTINGS.filter(([, flag]) => cpuFlags.has(flag)).map(([setting]) => ({ pass: setting, value: "true" }));
  return [...steps, ...[...PORTABLE_SETTING_MOVES, ...features].filter((m) => offered.has(m.pass))];
}

/** A Cranelift search: from `CRANELIFT_BASELINE_PLAN`, with `craneliftSearchMoves` for every objective. */
export function craneliftSearchSpace(catalog: readonly PassOffer[], _objective: Objective, maxSteps: number): SearchSpace {
  return { prefix: [...CRANELIFT_BASELINE_PLAN.steps], alternatives: [], moves: craneliftSearchMoves(catalog), maxSteps };
}

/**
 * The CPU feature flags of this machine as Linux spells them in `/proc/cpuinfo`
 * (`popcnt`, `abm`, `bmi1`…); empty on other architectures or systems, so that no
 * CPU-feature move is offered where it cannot be checked.
 */
export function hostCpuFlags(): Set<string> {
  if (process.arch !== "x64") return new Set();
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    return new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}
