import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { canonicalBytes, contentId, ed25519FromSeed, signObject, type Ed25519KeyPair } from "../src/kernel/codec/index.js";
import { AuditEventSchema, DeltaSchema } from "../src/gen/openpassmarket/v1/audit_pb.js";
import { Compiler, Objective } from "../src/gen/openpassmarket/v1/common_pb.js";
import { ContractDecl_Kind, ContractDeclSchema, ContractNodeSchema, PassLevel, PassParameter_Kind, PassSpecSchema } from "../src/gen/openpassmarket/v1/contracts_pb.js";
import { PrivacyBudgetSchema } from "../src/gen/openpassmarket/v1/privacy_pb.js";
import { LocalProblemSchema, Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema, PlanDelta_Op, PlanDeltaSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";

/** One named object of the vector set. */
export interface Sample<Desc extends DescMessage = DescMessage> {
  /** Stable vector name, `<what>` in kebab-case. */
  name: string;
  schema: Desc;
  message: MessageShape<Desc>;
}

/** TEST-ONLY Ed25519 seed: the 32 bytes 0x00, 0x01, …, 0x1f. Never use it for anything real. */
export const TEST_SEED = Uint8Array.from({ length: 32 }, (_, i) => i);

/** The key pair of `TEST_SEED`. */
export function testKey(): Ed25519KeyPair {
  return ed25519FromSeed(TEST_SEED);
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A fixed instant (2023-11-14T22:13:20Z) so the vectors never depend on the clock. */
export const FIXED_MS = 1_700_000_000_000n;

/** The adapter and registry node names the signed samples are signed as. */
export const SIGNERS = { adapter: "llvm-conformance-1", node: "registry-conformance" } as const;

const IR = text("define i32 @f(i32 %x) {\n  %y = add i32 %x, 0\n  ret i32 %y\n}\n");

/** A private problem (digest only) and a public one (IR included, digest of that IR). */
function problems() {
  const base = {
    participant: "alice", compiler: Compiler.LLVM, compilerVersion: "14.0.6", objective: Objective.IR_INSTCOUNT,
    irFormat: "llvm-ir", features: [{ name: "add", value: 1 }, { name: "ret", value: 1 }, { name: "ratio", value: 0.1 }],
  };
  const privateProblem = create(LocalProblemSchema, {
    ...base, irDigest: contentId(text("private IR that never leaves the participant")),
    constraints: { maxPasses: 32, evaluationBudget: 100 }, visibility: Visibility.PRIVATE, baseline: 420.5, label: "crc32.ll",
  });
  const publicProblem = create(LocalProblemSchema, {
    ...base, irDigest: contentId(IR), visibility: Visibility.PUBLIC, ir: IR, baseline: 3, label: "add-zero — ünïcödé label",
  });
  return { privateProblem, publicProblem };
}

/**
 * The representative objects, in vector order. Unsigned ones first; `signal` and `delta`
 * are returned signed with the test key. Every value is fixed, so the set is reproducible.
 */
export function sampleObjects(): { unsigned: Sample[]; signed: Sample[] } {
  const keys = testKey();
  const licm = create(PassSpecSchema, {
    name: "licm", compiler: Compiler.LLVM, compilerVersions: { min: "14.0.0", max: "18.0.0" }, level: PassLevel.LOOP,
    parameters: [
      { name: "allow-speculation", kind: PassParameter_Kind.BOOL, defaultValue: "true" },
      { name: "max-uses", kind: PassParameter_Kind.INT, min: -1n, max: 9_007_199_254_740_993n, defaultValue: "8" },
      { name: "mode", kind: PassParameter_Kind.ENUM, values: ["none", "simple", "full"], defaultValue: "simple" },
      { name: "note", kind: PassParameter_Kind.STRING },
    ],
    invariants: ["interface", "semantics"], version: "1.2.3", description: "Loop-invariant code motion — hoists and sinks",
    implements: ["opm-adapter-llvm@1"], requires: ["llvm-ir@14"], conflictsWith: ["llvm/licm-legacy@1"],
  });
  const flag = create(PassSpecSchema, { name: "-ftree-vectorize", compiler: Compiler.GCC, compilerVersions: { min: "12.0.0" }, level: PassLevel.FLAG, version: "1.0.0" });
  const dialect = create(ContractDeclSchema, { kind: ContractDecl_Kind.IR_DIALECT, name: "llvm-ir", version: "14.0.0", description: "LLVM 14 textual IR" });
  const iface = create(ContractDeclSchema, { kind: ContractDecl_Kind.ADAPTER_INTERFACE, name: "opm-adapter-llvm", version: "1.0.0", requires: ["llvm-ir@14"] });
  const node = create(ContractNodeSchema, {
    id: contentId(canonicalBytes(PassSpecSchema, flag)), ref: "gcc/-ftree-vectorize@1.0.0", kind: "pass-spec",
    name: "gcc/-ftree-vectorize", version: "1.0.0", publisher: "gcc-conformance-1", body: { case: "passSpec", value: flag },
  });
  const { privateProblem, publicProblem } = problems();
  const problemId = contentId(canonicalBytes(LocalProblemSchema, privateProblem));
  const signal = signObject(PerformanceSignalSchema, create(PerformanceSignalSchema, {
    problemId, objective: Objective.IR_INSTCOUNT, baseline: 420.5, achieved: 397.25,
    pipeline: [{ pass: "instcombine" }, { pass: "licm", value: "mode=full" }, { pass: "simplifycfg" }],
    inputDigest: privateProblem.irDigest, outputDigest: contentId(text("transformed")), compilerVersion: "14.0.6",
    verdict: { ok: true, verifier: SIGNERS.adapter, layers: [{ name: "well-formed", ok: true, evidence: "opt -passes=verify" }, { name: "semantics", ok: true, evidence: "alive2: 3/3 functions" }] },
    privacyCostMicroEpsilon: 50_000n, adapter: SIGNERS.adapter, measuredAtMs: FIXED_MS, elapsedMs: 12, jobId: "job-0001",
  }), SIGNERS.adapter, keys);
  const signalId = contentId(canonicalBytes(PerformanceSignalSchema, { ...signal, signature: undefined }));
  const insert = create(PlanDeltaSchema, { problemId, op: PlanDelta_Op.INSERT, position: 0, step: { pass: "instcombine" }, evidence: [signalId], sequence: 1 });
  const replace = create(PlanDeltaSchema, { problemId, op: PlanDelta_Op.REPLACE, position: 1, step: { pass: "licm", value: "mode=full" }, evidence: [signalId, problemId], sequence: 2 });
  const budget = create(PrivacyBudgetSchema, {
    participant: "alice", family: "llvm/ir-instcount", accountant: "zcdp", totalMicroEpsilon: 18_446_744_073_709_551_615n,
    spentMicroEpsilon: 50_000n, deltaPpt: 1_000n, policyEntry: 7n,
  });
  const event = create(AuditEventSchema, {
    sequence: 42n, actor: SIGNERS.adapter, action: "signal.submit", object: signalId, atMs: FIXED_MS,
    correlationId: "conformance-0001", requestDigest: contentId(text("request")), detail: `problem ${problemId} achieved 397.25 baseline 420.5`,
  });
  const delta = signObject(DeltaSchema, create(DeltaSchema, {
    node: SIGNERS.node, sequence: 2n, previous: contentId(text("delta 1")), events: [event],
    objects: [canonicalBytes(PerformanceSignalSchema, signal)],
  }), SIGNERS.node, keys);
  const s = <D extends DescMessage>(name: string, schema: D, message: MessageShape<D>): Sample => ({ name, schema, message } as Sample);
  return {
    unsigned: [
      s("pass-spec-every-parameter-kind", PassSpecSchema, licm),
      s("pass-spec-minimal-flag", PassSpecSchema, flag),
      s("contract-decl-ir-dialect", ContractDeclSchema, dialect),
      s("contract-decl-adapter-interface", ContractDeclSchema, iface),
      s("contract-node-oneof-pass-spec", ContractNodeSchema, node),
      s("local-problem-private", LocalProblemSchema, privateProblem),
      s("local-problem-public", LocalProblemSchema, publicProblem),
      s("plan-delta-insert", PlanDeltaSchema, insert),
      s("plan-delta-replace", PlanDeltaSchema, replace),
      s("privacy-budget-uint64-max", PrivacyBudgetSchema, budget),
      s("audit-event", AuditEventSchema, event),
    ],
    signed: [
      s("performance-signal-with-verdict", PerformanceSignalSchema, signal),
      s("delta-one-event", DeltaSchema, delta),
    ],
  };
}
