/**
 * The plan vocabulary every floor speaks: which compiler, what to minimise, what a
 * compiler offers and what a plan is. Plain data only; the protobuf mappings are in
 * `proto-mapping.ts`.
 */
import type { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import { OpmError } from "../errors/index.js";

/**
 * A compiler, spelled as the contract's `Compiler` enum spells it, in lower case
 * (`LLVM` → `llvm`). The proto enum is the one list of compilers; a toolchain for each
 * lives in `src/adapters/<compiler>/`.
 */
export type CompilerKind = Lowercase<Exclude<keyof typeof Compiler, "UNSPECIFIED">>;

/**
 * How a problem's input bytes are encoded: textual LLVM IR, LLVM bitcode, one C source,
 * a C bundle (several translation units with their local headers, flags and libraries,
 * `src/adapters/framework/c-bundle.ts`), a wasm module, CLIF text.
 */
export const INPUT_FORMATS = ["llvm-ir", "llvm-bc", "c-source", "c-bundle", "wasm", "clif"] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** What a problem asks to minimise. */
export type Objective = "ir-instcount" | "text-size" | "code-size";

/** Where in the compiler a pass runs, as the compiler itself organises it. */
export type PassLevel =
  | "module"
  | "cgscc"
  | "function"
  | "loop"
  | "flag" // an on/off option (GCC -f…)
  | "param" // a numeric/enumerated setting (GCC --param, Cranelift settings)
  | "opt-level" // a whole optimisation level (-Os, default<Oz>, opt_level)
  | "step"; // an orderable transform that is not a classic pass (Cranelift Context steps)

export interface PassParameter {
  name: string;
  kind: "bool" | "int" | "enum" | "string";
  /** Inclusive range for `int`. */
  min?: number;
  max?: number;
  /** Allowed values for `enum`. */
  values?: string[];
  default?: string;
}

/** One optimisation the installed compiler offers, spelled as the compiler spells it. */
export interface PassOffer {
  /** e.g. `instcombine`, `loop-unroll`, `-ftree-vectorize`, `max-inline-insns-auto`, `egraph`. */
  name: string;
  level: PassLevel;
  parameters: PassParameter[];
  /** Invariants the pass claims to preserve (`interface`, `cfg`, `semantics`). */
  invariants: string[];
  description?: string;
}

/** One step of a plan: a pass/flag/step name and, for parameters, a value. */
export interface PlanStep {
  pass: string;
  value?: string;
}

export interface Plan {
  steps: PlanStep[];
}

/**
 * What a search may do: start from the compiler's own default for the objective
 * (`prefix`, e.g. `default<Oz>` or `-Os`), or from one of the `alternatives` levels, and
 * add `moves` (passes, flags, settings). Each toolchain builds its own from its catalog.
 */
export interface SearchSpace {
  prefix: PlanStep[];
  /** Other whole levels worth trying instead of the prefix (GCC's `-Oz`); strategies that say so use them. */
  alternatives: PlanStep[][];
  moves: PlanStep[];
  /** Longest plan a strategy may propose, prefix included. */
  maxSteps: number;
}

/**
 * A stable key of a plan, for de-duplication: steps separated by a space, `pass=value`
 * for a step with a value. `parsePlanKey` reads it back exactly when no step name holds
 * `=` or whitespace and no value holds whitespace — the spellings every toolchain's
 * search space uses (a GCC valued option is `-fvect-cost-model` + `unlimited`, not
 * `-fvect-cost-model=` + `unlimited`, whose key `-fvect-cost-model==unlimited` would
 * read back as another step).
 */
export function planKey(plan: Plan): string {
  return plan.steps.map((s) => (s.value === undefined || s.value === "" ? s.pass : `${s.pass}=${s.value}`)).join(" ");
}

/**
 * The plan behind a `planKey`: each space-separated word is a step, split at its first
 * `=` into name and value. Requires a key of a plan whose steps meet `planKey`'s round-trip
 * condition; throws `invalid_argument` (field `plan`) naming a word with an empty name or
 * value (`=x`, `x=`, `-fvect-cost-model==unlimited`), which no such plan has.
 */
export function parsePlanKey(key: string): Plan {
  if (key === "") return { steps: [] };
  return {
    steps: key.split(" ").map((word, i) => {
      const eq = word.indexOf("=");
      const step: PlanStep = eq < 0 ? { pass: word } : { pass: word.slice(0, eq), value: word.slice(eq + 1) };
      if (step.pass === "" || step.value === "" || step.value?.startsWith("=")) {
        throw new OpmError("invalid_argument", `field \`plan\`: word ${i} \`${word}\` of plan key \`${key}\` is not \`name\` or \`name=value\``, { field: "plan" });
      }
      return step;
    }),
  };
}
