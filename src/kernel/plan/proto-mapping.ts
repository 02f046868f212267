import { OpmError } from "../errors/index.js";
import { Compiler, Objective as ObjectiveEnum } from "../../gen/openpassmarket/v1/common_pb.js";
import { PassLevel as PassLevelEnum, PassParameter_Kind } from "../../gen/openpassmarket/v1/contracts_pb.js";
import type { CompilerKind, Objective, PassLevel, PassParameter, Plan, PlanStep } from "./plan.js";

/** Every compiler the contract names, in enum order (`UNSPECIFIED` excluded). */
export const COMPILER_KINDS: readonly CompilerKind[] = Object.keys(Compiler)
  .filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED")
  .map((k) => k.toLowerCase() as CompilerKind);

/** Every objective, as users type it. */
export const OBJECTIVES: readonly Objective[] = ["ir-instcount", "text-size", "code-size"];

const OBJECTIVE_TO_PROTO: Record<Objective, ObjectiveEnum> = {
  "ir-instcount": ObjectiveEnum.IR_INSTCOUNT,
  "text-size": ObjectiveEnum.TEXT_SIZE,
  "code-size": ObjectiveEnum.CODE_SIZE,
};
const LEVEL_TO_PROTO: Record<PassLevel, PassLevelEnum> = {
  module: PassLevelEnum.MODULE, cgscc: PassLevelEnum.CGSCC, function: PassLevelEnum.FUNCTION, loop: PassLevelEnum.LOOP,
  flag: PassLevelEnum.FLAG, param: PassLevelEnum.PARAM, "opt-level": PassLevelEnum.OPT_LEVEL, step: PassLevelEnum.STEP,
};
const KIND_TO_PROTO: Record<PassParameter["kind"], PassParameter_Kind> = {
  bool: PassParameter_Kind.BOOL, int: PassParameter_Kind.INT, enum: PassParameter_Kind.ENUM, string: PassParameter_Kind.STRING,
};

/** The contract's enum value of a compiler (`llvm` → `Compiler.LLVM`). */
export function compilerToProto(c: CompilerKind): Compiler {
  return Compiler[c.toUpperCase() as keyof typeof Compiler];
}

/** The lower-case name of a contract compiler (`Compiler.GCC` → `gcc`); `unspecified` for 0 or an unknown value. */
export function compilerName(c: Compiler): string {
  return (Compiler[c] ?? "UNSPECIFIED").toLowerCase();
}

/** The objective of a contract value; throws invalid_argument for one this build does not know. */
export function objectiveFromProto(o: ObjectiveEnum): Objective {
  const found = OBJECTIVES.find((k) => OBJECTIVE_TO_PROTO[k] === o);
  if (found === undefined) throw new OpmError("invalid_argument", `objective ${ObjectiveEnum[o] ?? o} is not supported`);
  return found;
}

export function objectiveToProto(o: Objective): ObjectiveEnum {
  return OBJECTIVE_TO_PROTO[o];
}

/** Parses a user-typed objective; throws invalid_argument naming the flag. */
export function parseObjective(text: string, flag = "objective"): Objective {
  if ((OBJECTIVES as readonly string[]).includes(text)) return text as Objective;
  throw new OpmError("invalid_argument", `--${flag}: unknown value ${JSON.stringify(text)}; expected one of ${OBJECTIVES.join(", ")}`);
}

/** Parses a user-typed compiler; throws invalid_argument naming the flag. */
export function parseCompiler(text: string, flag = "compiler"): CompilerKind {
  if ((COMPILER_KINDS as readonly string[]).includes(text)) return text as CompilerKind;
  throw new OpmError("invalid_argument", `--${flag}: unknown value ${JSON.stringify(text)}; expected one of ${COMPILER_KINDS.join(", ")}`);
}

export function levelToProto(l: PassLevel): PassLevelEnum {
  return LEVEL_TO_PROTO[l];
}

export function parameterKindToProto(k: PassParameter["kind"]): PassParameter_Kind {
  return KIND_TO_PROTO[k];
}

/** A contract `PlanStep` (value "" for none) as the kernel spells it: no empty value. */
export function planStepFromProto(step: { pass: string; value?: string }): PlanStep {
  return step.value === undefined || step.value === "" ? { pass: step.pass } : { pass: step.pass, value: step.value };
}

/** A contract pipeline (`repeated PlanStep`) as a kernel `Plan`. */
export function planFromProto(steps: ReadonlyArray<{ pass: string; value?: string }>): Plan {
  return { steps: steps.map(planStepFromProto) };
}
