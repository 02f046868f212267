import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Compiler, Objective } from "../src/gen/openpassmarket/v1/common_pb.js";
import { Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { planSetVersion, verifyPlanSet } from "../src/kernel/planset/index.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { join } from "node:path";
import { plansetCommand } from "../src/cli/commands/planset.js";
import { ensureLedgerKey } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { commandJson } from "./support/delta-log.js";
import { llvmProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const VERSION = "14.0.6";
const LLVM_IR = { compiler: Compiler.LLVM, objective: Objective.IR_INSTCOUNT, compilerVersion: VERSION } as const;

/**
 * What teaches a plan set the node builds (no compiler: signals straight through
 * SubmitSignal): accepted signals of public problems as measured; of a private problem
 * nothing until its owner releases a result, then only the release (a noised improvement in
 * basis points) — never its exact metrics. Each build that learns something new is the
 * next version of the chain, superseding the previous one.
 */
describe.each(testDatabases())("plan sets on the registry on $kind", (database) => {
  let h: RegistryHarness;
  let bob: Identity;
  let carol: Identity;
  const ids: Record<string, string> = {};
  const signalIds: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness(database);
    bob = await h.identity("bob");
    carol = await h.identity("carol");
    for (const who of [bob, carol]) await h.client(who).registerParticipant({ publicKey: who.keys.publicKeyRaw });
    const adapter = await h.admittedAdapter("bob-adapter", VERSION, "bob");
    const problems: Record<string, LocalProblem> = {
      public1: llvmProblem("bob", "ps-public-1", VERSION, Visibility.PUBLIC),
      public2: llvmProblem("bob", "ps-public-2", VERSION, Visibility.PUBLIC),
      private: llvmProblem("bob", "ps-private", VERSION, Visibility.PRIVATE),
    };
    for (const [name, problem] of Object.entries(problems)) ids[name] = (await h.client(bob).submitProblem({ problem })).problemId;
    const report = async (name: string, achieved: number, pass: string) =>
      (signalIds[`${name}/${pass}`] = (await h.client(adapter.id).submitSignal({ signal: signedSignal(adapter.id, problems[name]!, { achieved, pipeline: [{ pass }] }) })).signalId);
    await report("public1", 380, "gvn");
    await report("public1", 410, "licm");
    await report("public2", 400, "licm");
    // The private problem's best exact result: a plan no public problem used.
    await report("private", 300, "sroa");
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it("learns from public signals as measured and from a private problem only once released", async () => {
    const asCarol = h.client(carol);
    const first = (await asCarol.buildPlanSet(LLVM_IR)).stored!;
    expect(first.sequence).toBe(1);
    verifyPlanSet(first.planSet!, first.publicKey);
    expect(first.planSet!.problems.map((p) => p.problemId).sort()).toEqual([ids.public1!, ids.public2!].sort());
    expect(first.planSet!.plans.map((p) => p.steps.map((s) => s.pass).join(" "))).toEqual(["licm", "gvn"]); // licm: 0.25 on public1 + 1 on public2 > gvn: 1
    expect(first.planSet!.signalCount).toBe(3);

    // Bob releases his private result: a noised improvement, which alone may teach.
    const release = (await h.client(bob).releaseResult({ problemId: ids.private!, signalId: signalIds["private/sroa"]! })).release!;
    const second = await asCarol.buildPlanSet(LLVM_IR);
    const taught = release.value > 0n;
    expect(second.created).toBe(taught);
    const set = second.stored!.planSet!;
    expect(set.problems.some((p) => p.problemId === ids.private)).toBe(taught);
    if (taught) {
      expect(second.stored).toMatchObject({ sequence: 2, supersedes: first.version });
      expect(set.signalCount).toBe(4);
      expect(set.plans.some((p) => p.steps[0]!.pass === "sroa")).toBe(true);
    } else {
      expect(second.stored!.version).toBe(first.version);
    }
    expect(planSetVersion(set)).toBe(second.stored!.version);
    const graph = (await asCarol.getContractGraph({ root: "", depth: 0 })).graph!;
    const nodes = graph.nodes.filter((n) => n.kind === "plan-set");
    expect(nodes.map((n) => n.version).sort()).toEqual(taught ? ["1.0.0", "2.0.0"] : ["1.0.0"]);

    // The same through `opm planset` (as the operator): nothing new to learn, the stored version comes back.
    const file = join(h.dataDir, "planset.json");
    const flags = ["--registry", h.node.address, "--identity", h.node.adminDir, "--compiler", "llvm", "--objective", "ir-instcount"];
    const built = await commandJson(plansetCommand, ["build", ...flags, "--compiler-version", VERSION, "--out", file]);
    expect(built).toMatchObject({ code: 0, json: { version: second.stored!.version, created: false, sequence: second.stored!.sequence } });
    const nodeKeyId = ensureLedgerKey(h.dataDir).keyId;
    const shown = await commandJson(plansetCommand, ["show", ...flags, "--compiler-version", VERSION, "--trust", nodeKeyId]);
    expect(shown.json).toMatchObject({ version: second.stored!.version, ref: second.stored!.ref, keyId: nodeKeyId });
    expect((await commandJson(plansetCommand, ["show", file, "--trust", nodeKeyId])).json.version).toBe(second.stored!.version);
    await expect(commandJson(plansetCommand, ["show", file, "--trust", bob.keys.keyId])).rejects.toThrow(/not trusted/);
  });
});
