import { OpmError } from "../errors/index.js";
import { Compiler, Objective as ObjectiveEnum } from "../../gen/openpassmarket/v1/common_pb.js";
import { PassLevel as PassLevelEnum, PassParameter_Kind } from "../../gen/openpassmarket/v1/contracts_pb.js";
import type { CompilerKind, Objective, PassLevel, PassParameter } from "../../adapters/framework/toolchain.js";

/** Paired converters between the Toolchain port's plain strings and the protobuf enums. */
export const COMPILER_TO_PROTO: Record<CompilerKind, Compiler> = { llvm: Compiler.LLVM, gcc: Compiler.GCC, cranelift: Compiler.CRANELIFT };
export const OBJECTIVE_TO_PROTO: Record<Objective, ObjectiveEnum> = {
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

export function compilerToProto(c: CompilerKind): Compiler {
  return COMPILER_TO_PROTO[c];
}

export function compilerFromProto(c: Compiler): CompilerKind {
  const found = (Object.entries(COMPILER_TO_PROTO) as Array<[CompilerKind, Compiler]>).find(([, v]) => v === c);
  if (found === undefined) throw new OpmError("invalid_argument", `unknown compiler ${c}`);
  return found[0];
}

export function objectiveToProto(o: Objective): ObjectiveEnum {
  return OBJECTIVE_TO_PROTO[o];
}

export function objectiveFromProto(o: ObjectiveEnum): Objective {
  const found = (Object.entries(OBJECTIVE_TO_PROTO) as Array<[Objective, ObjectiveEnum]>).find(([, v]) => v === o);
  if (found === undefined) throw new OpmError("invalid_argument", `objective ${ObjectiveEnum[o] ?? o} is not supported`);
  return found[0];
}

/** Parses a user-typed objective; throws invalid_argument naming the flag. */
export function parseObjective(text: string, flag = "objective"): Objective {
  if (text in OBJECTIVE_TO_PROTO) return text as Objective;
  throw new OpmError("invalid_argument", `--${flag}: unknown value ${JSON.stringify(text)}; expected one of ${Object.keys(OBJECTIVE_TO_PROTO).join(", ")}`);
}

/** Parses a user-typed compiler; throws invalid_argument naming the flag. */
export function parseCompiler(text: string, flag = "compiler"): CompilerKind {
  if (text in COMPILER_TO_PROTO) return text as CompilerKind;
  throw new OpmError("invalid_argument", `--${flag}: unknown value ${JSON.stringify(text)}; expected llvm, gcc or cranelift`);
}

export function levelToProto(l: PassLevel): PassLevelEnum {
  return LEVEL_TO_PROTO[l];
}

export function parameterKindToProto(k: PassParameter["kind"]): PassParameter_Kind {
  return KIND_TO_PROTO[k];
}
