import { create } from "@bufbuild/protobuf";
import { contentId, objectId, signObject } from "../../src/kernel/codec/index.js";
import { Compiler, Objective } from "../../src/gen/openpassmarket/v1/common_pb.js";
import { ContractDecl_Kind, PassLevel, PassParameter_Kind, PassSpecSchema, type PassSpec } from "../../src/gen/openpassmarket/v1/contracts_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../../src/gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema, type PerformanceSignal } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";

/** The plain-object initializer of a message, every field optional. */
type Init<S extends DescMessage> = Partial<Exclude<MessageInitShape<S>, MessageShape<S>>>;
import type { Identity } from "../../src/kernel/pki/index.js";

/** Capabilities of an LLVM 14 adapter. */
export const LLVM_CAPS = { compiler: Compiler.LLVM, compilerVersion: "14.0.6", targetTriple: "x86_64-pc-linux-gnu", objectives: ["ir-instcount"] };

/** The IR dialect and adapter interface PassSpecs refer to. */
export const BASE_DECLS = [
  { kind: ContractDecl_Kind.IR_DIALECT, name: "llvm-ir", version: "14.0.0", description: "LLVM 14 textual IR" },
  { kind: ContractDecl_Kind.ADAPTER_INTERFACE, name: "opm-adapter-llvm", version: "1.0.0", requires: ["llvm-ir@14"] },
];

/** A PassSpec for `name`, with overrides. */
export function passSpec(name: string, overrides: Init<typeof PassSpecSchema> = {}): PassSpec {
  return create(PassSpecSchema, {
    name, compiler: Compiler.LLVM, compilerVersions: { min: "14.0.0", max: "15.0.0" }, level: PassLevel.FUNCTION,
    parameters: [{ name: "max-iterations", kind: PassParameter_Kind.INT, min: 0n, max: 1000n }],
    invariants: ["interface", "semantics"], version: "1.0.0", implements: ["opm-adapter-llvm@1"], requires: ["llvm-ir@14"],
    ...overrides,
  });
}

/** `participant`'s LLVM problem on `compilerVersion`: private, or public with a stand-in module as its IR. */
export function llvmProblem(participant: string, seed: string, compilerVersion: string, visibility: Visibility): LocalProblem {
  const problem = privateProblem(participant, seed);
  problem.compilerVersion = compilerVersion;
  if (visibility === Visibility.PUBLIC) {
    problem.visibility = Visibility.PUBLIC;
    problem.ir = new TextEncoder().encode(`; public module ${seed}\n`);
    problem.irDigest = contentId(problem.ir);
  }
  return problem;
}

/** A private LLVM problem for `participant` (digest of `seed`, no IR). */
export function privateProblem(participant: string, seed = "crc32"): LocalProblem {
  return create(LocalProblemSchema, {
    participant, compiler: Compiler.LLVM, compilerVersion: "14.0.6", objective: Objective.IR_INSTCOUNT,
    irDigest: contentId(new TextEncoder().encode(seed)), irFormat: "llvm-ir",
    features: [{ name: "add", value: 12 }, { name: "load", value: 40 }, { name: "store", value: 31 }],
    constraints: { maxPasses: 32, evaluationBudget: 100 }, visibility: Visibility.PRIVATE, baseline: 420, label: seed,
  });
}

/** A signal by `adapter` on `problem`, signed with its key, with a passing verdict. */
export function signedSignal(adapter: Identity, problem: LocalProblem, overrides: Init<typeof PerformanceSignalSchema> = {}): PerformanceSignal {
  const signal = create(PerformanceSignalSchema, {
    problemId: objectId(LocalProblemSchema, problem), objective: problem.objective, baseline: problem.baseline, achieved: 400,
    pipeline: [{ pass: "instcombine" }, { pass: "simplifycfg" }], inputDigest: problem.irDigest,
    outputDigest: contentId(new TextEncoder().encode("out")), compilerVersion: "14.0.6",
    verdict: {
      ok: true, verifier: adapter.name,
      layers: ["well-formed", "interface", "semantics", "metric"].map((name) => ({ name, ok: true, evidence: `${name} checked` })),
    },
    adapter: adapter.name, measuredAtMs: BigInt(Date.now()), elapsedMs: 12, ...overrides,
  });
  return signObject(PerformanceSignalSchema, signal, adapter.name, adapter.keys);
}
