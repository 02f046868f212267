import { create } from "@bufbuild/protobuf";
import { ContractDecl_Kind, ContractDeclSchema, PassSpecSchema, type ContractDecl, type PassSpec } from "../../gen/openpassmarket/v1/contracts_pb.js";
import { compilerToProto, levelToProto, parameterKindToProto, parseCompilerVersion, type PassOffer } from "../../kernel/plan/index.js";
import type { ToolchainInfo } from "./toolchain.js";
import { declarationOf } from "./toolchains.js";

/**
 * The contract version of a catalog entry: the compiler's release line (`14.0.0` for LLVM
 * 14.0.6, `0.112.0` for Cranelift 0.112.3). Adapters of one release line publish identical
 * specs (a no-op for the registry); a new line is a major (or 0.x minor) bump, which is
 * what lets its catalog differ.
 */
export function contractVersionOf(info: ToolchainInfo): { version: string; min: string; max: string } {
  const v = parseCompilerVersion(info.version, "version");
  if (v.major === 0) return { version: `0.${v.minor}.0`, min: `0.${v.minor}.0`, max: `0.${v.minor + 1}.0` };
  return { version: `${v.major}.0.0`, min: `${v.major}.0.0`, max: `${v.major + 1}.0.0` };
}

/** The IR dialect and adapter interface declarations an adapter publishes with its catalog. */
export function catalogDecls(info: ToolchainInfo): ContractDecl[] {
  const { version } = contractVersionOf(info);
  const dialect = declarationOf(info.compiler).dialect;
  return [
    create(ContractDeclSchema, { kind: ContractDecl_Kind.IR_DIALECT, name: dialect, version, description: `${info.compiler} ${info.version} input (${info.target})` }),
    create(ContractDeclSchema, {
      kind: ContractDecl_Kind.ADAPTER_INTERFACE, name: `opm-adapter-${info.compiler}`, version: "1.0.0",
      description: "claims evaluation jobs, applies plans, reports signed PerformanceSignals (JobService v1)",
    }),
  ];
}

/** One PassSpec per catalog entry, requiring the dialect and implementing the adapter interface. */
export function catalogPassSpecs(info: ToolchainInfo, offers: PassOffer[]): PassSpec[] {
  const { version, min, max } = contractVersionOf(info);
  const dialectRef = `${declarationOf(info.compiler).dialect}@${version.startsWith("0.") ? version : version.split(".")[0]}`;
  return offers.map((o) => create(PassSpecSchema, {
    name: o.name,
    compiler: compilerToProto(info.compiler),
    compilerVersions: { min, max },
    level: levelToProto(o.level),
    parameters: o.parameters.map((p) => ({
      name: p.name, kind: parameterKindToProto(p.kind),
      min: BigInt(Math.trunc(p.min ?? 0)), max: BigInt(Math.trunc(p.max ?? 0)),
      values: p.values ?? [], defaultValue: p.default ?? "",
    })),
    invariants: o.invariants,
    version,
    description: (o.description ?? "").slice(0, 1000),
    implements: [`opm-adapter-${info.compiler}@1`],
    requires: [dialectRef],
  }));
}
