import { describe, expect, it } from "vitest";
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateEd25519 } from "../../kernel/codec/index.js";
import { planKey } from "../../kernel/plan/index.js";
import type { MarketSignal } from "../orchestrator/signal-source.js";
import { buildPlanSet, planSetVersion, readPlanSetFile, signPlanSet, verifyPlanSet, writePlanSetFile } from "./index.js";

const Oz = { pass: "default", value: "Oz" };
const plan = (...passes: string[]) => ({ steps: [Oz, ...passes.map((pass) => ({ pass }))] });
let n = 0;
const signal = (problemId: string, baseline: number, achieved: number, p: ReturnType<typeof plan>, features: Record<string, number> = { a: 1 }, compilerVersion = "14.0.6"): MarketSignal =>
  ({ signalId: `s${String(n++).padStart(3, "0")}`, problemId, compilerVersion, features, plan: p, baseline, achieved });

/** Three problems: gvn is best on p1 and p2, licm the only help on p3, instcombine a little everywhere. */
const SIGNALS: MarketSignal[] = [
  signal("p1", 100, 90, plan("gvn")), signal("p1", 100, 95, plan("instcombine")), signal("p1", 100, 100, plan()),
  signal("p2", 200, 180, plan("gvn")), signal("p2", 200, 190, plan("instcombine")),
  signal("p3", 50, 45, plan("licm")), signal("p3", 50, 49, plan("instcombine")),
  signal("p4", 10, 10, plan("gvn")), // nothing improved p4: left out
  signal("p1", 100, 80, plan("gvn"), { a: 1 }, "15.0.0"), // another version: ignored
];

describe("buildPlanSet", () => {
  it("selects the plans that cover the most, normalised per problem", () => {
    const set = buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount", compilerVersion: "14.0.6", growPastCoverage: false });
    expect(set.plans.map((p) => planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) }))).toEqual(["default=Oz gvn", "default=Oz licm"]);
    expect(set.plans.map((p) => p.gain)).toEqual([2, 1]);
    expect(set.coverage).toBe(3);
    expect(set.problems.map((p) => p.problemId)).toEqual(["p1", "p2", "p3"]);
    expect(set.problems.map((p) => p.scores)).toEqual([[1, 0], [1, 0], [0, 1]]);
    expect(set.signalCount).toBe(7);
  });

  it("grows past coverage saturation by default: the next layer holds the runner-ups", () => {
    const set = buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount", compilerVersion: "14.0.6" });
    // gvn and licm reach every problem's best (coverage 3, saturated); instcombine is the runner-up
    // on all three (0.5 + 0.5 + 0.2), chosen in the second layer with that gain. The default plan
    // improved nothing and never enters.
    expect(set.plans.map((p) => planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) }))).toEqual(["default=Oz gvn", "default=Oz licm", "default=Oz instcombine"]);
    expect(set.plans[2]!.gain).toBeCloseTo(1.2, 12);
    expect(set.coverage).toBe(3); // what the set reaches, not the sum of its layers' gains
    expect(set.problems.map((p) => p.scores[2])).toEqual([0.5, 0.5, expect.closeTo(0.2, 12)]);
    // The size limit still holds past saturation.
    expect(buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount", maxPlans: 2 }).plans).toHaveLength(2);
  });

  it("is deterministic: the same signals in any order give the same bytes and version", () => {
    const a = buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount" });
    const b = buildPlanSet([...SIGNALS].reverse(), { compiler: "llvm", objective: "ir-instcount" });
    expect(a.compilerVersion).toBe("14.0.6"); // the commonest version
    expect(planSetVersion(a)).toBe(planSetVersion(b));
    const fewer = buildPlanSet(SIGNALS.slice(1), { compiler: "llvm", objective: "ir-instcount" });
    expect(planSetVersion(fewer)).not.toBe(planSetVersion(a));
  });

  it("keeps at most max plans, and refuses when nothing improved", () => {
    expect(buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount", maxPlans: 1 }).plans).toHaveLength(1);
    expect(() => buildPlanSet([SIGNALS[7]!], { compiler: "llvm", objective: "ir-instcount" })).toThrow(/improved on its baseline/);
    expect(() => buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount", maxPlans: 0 })).toThrow(/positive integer/);
  });
});

describe("signed plan sets", () => {
  const keys = generateEd25519();
  const signed = () => signPlanSet(buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount" }), "alice", keys);

  it("verifies, and its version ignores the signature", () => {
    const set = signed();
    expect(verifyPlanSet(set, keys.publicKeyRaw)).toBe(planSetVersion(buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount" })));
    expect(set.signature?.signer).toBe("alice");
  });

  it("refuses a tampered set, another key and an untrusted key", () => {
    const set = signed();
    set.plans[0]!.gain = 3;
    expect(() => verifyPlanSet(set, keys.publicKeyRaw)).toThrow(/does not verify/);
    const other = generateEd25519();
    expect(() => verifyPlanSet(signed(), other.publicKeyRaw)).toThrow(/signed by key/);
    expect(() => verifyPlanSet(signed(), keys.publicKeyRaw, [other.keyId])).toThrow(/not trusted/);
    expect(verifyPlanSet(signed(), keys.publicKeyRaw, [keys.keyId])).toMatch(/^[0-9a-f]{64}$/);
  });

  it("round-trips through a file, and a tampered file is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "opm-planset-"));
    try {
      const path = join(dir, "set.json");
      const set = signed();
      writePlanSetFile(path, set, keys.publicKeyRaw);
      const read = readPlanSetFile(path, [keys.keyId]);
      expect(read.version).toBe(planSetVersion(set));
      expect(read.planSet.plans).toHaveLength(3); // gvn, licm, then the runner-up instcombine
      const doc = JSON.parse(readFileSync(path, "utf8")) as { planSet: { plans: Array<{ steps: Array<{ pass: string }> }> } };
      doc.planSet.plans[1]!.steps[1]!.pass = "loop-unroll";
      writeFileSync(path, JSON.stringify(doc));
      expect(() => readPlanSetFile(path)).toThrow(/does not verify/);
      writeFileSync(path, "{");
      expect(() => readPlanSetFile(path)).toThrow(/not a plan set file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
