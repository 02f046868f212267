import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PlanDeltaSchema } from "../../gen/openpassmarket/v1/signal_pb.js";
import { OpmError } from "../errors/index.js";
import { planDeltaFromProto, planDeltaToProto } from "./plan-delta-mapping.js";
import { applyPlanEdit, describePlanEdit, noEvidence, planEditOutsideSpace, type PlanDelta, type PlanEdit } from "./plan-delta.js";
import { planKey, type Plan, type SearchSpace } from "./plan.js";

const plan: Plan = { steps: [{ pass: "default", value: "Oz" }, { pass: "gvn" }, { pass: "licm" }, { pass: "sroa" }] };
const space: SearchSpace = { prefix: [{ pass: "default", value: "Oz" }], alternatives: [], moves: [{ pass: "gvn" }, { pass: "licm" }, { pass: "sroa" }, { pass: "dce" }], maxSteps: 5 };

describe("PlanDelta", () => {
  it("applies insert, remove, replace and swap, leaving the input plan as it was", () => {
    const before = planKey(plan);
    expect(planKey(applyPlanEdit(plan, { kind: "insert", at: 2, step: { pass: "dce" } }))).toBe("default=Oz gvn dce licm sroa");
    expect(planKey(applyPlanEdit(plan, { kind: "insert", at: 4, step: { pass: "dce" } }))).toBe("default=Oz gvn licm sroa dce");
    expect(planKey(applyPlanEdit(plan, { kind: "remove", at: 1 }))).toBe("default=Oz licm sroa");
    expect(planKey(applyPlanEdit(plan, { kind: "replace", at: 3, step: { pass: "dce" } }))).toBe("default=Oz gvn licm dce");
    expect(planKey(applyPlanEdit(plan, { kind: "swap", at: 1, with: 3 }))).toBe("default=Oz sroa licm gvn");
    expect(planKey(plan)).toBe(before);
  });

  it("refuses an edit that does not apply, naming the position", () => {
    const bad: PlanEdit[] = [
      { kind: "insert", at: 5, step: { pass: "dce" } }, { kind: "remove", at: 4 }, { kind: "replace", at: -1, step: { pass: "dce" } },
      { kind: "swap", at: 2, with: 2 }, { kind: "swap", at: 1, with: 9 }, { kind: "remove", at: 1.5 },
    ];
    for (const edit of bad) {
      expect(() => applyPlanEdit(plan, edit)).toThrow(OpmError);
      expect(() => applyPlanEdit(plan, edit)).toThrow(/plan delta does not apply/);
    }
  });

  it("says when an edit leaves the search space: the prefix, unknown moves, too long", () => {
    expect(planEditOutsideSpace(plan, { kind: "remove", at: 0 }, space)).toMatch(/inside the compiler's default/);
    expect(planEditOutsideSpace(plan, { kind: "swap", at: 0, with: 2 }, space)).toMatch(/inside the compiler's default/);
    expect(planEditOutsideSpace(plan, { kind: "insert", at: 1, step: { pass: "mem2reg" } }, space)).toMatch(/not a move/);
    expect(planEditOutsideSpace(plan, { kind: "insert", at: 1, step: { pass: "dce" } }, space)).toBeUndefined();
    const full = applyPlanEdit(plan, { kind: "insert", at: 1, step: { pass: "dce" } });
    expect(planEditOutsideSpace(full, { kind: "insert", at: 1, step: { pass: "dce" } }, space)).toMatch(/more than 5/);
    expect(planEditOutsideSpace(full, { kind: "replace", at: 1, step: { pass: "gvn" } }, space)).toBeUndefined();
  });

  it("reads back from the contract exactly, evidence included", () => {
    const deltas: PlanDelta[] = [
      { kind: "insert", at: 2, step: { pass: "licm" }, evidence: { summary: "insert licm after loop-rotate: improved problem X in the market", evaluations: [], signalIds: ["ab12"] } },
      { kind: "remove", at: 7, evidence: { summary: "remove: step 7 made no difference in evaluation 12", evaluations: [12], signalIds: [] } },
      { kind: "replace", at: 1, step: { pass: "-fipa-ra", value: "off" }, evidence: noEvidence("random replace") },
      { kind: "swap", at: 1, with: 3, evidence: noEvidence("random swap") },
    ];
    for (const d of deltas) {
      const bytes = toBinary(PlanDeltaSchema, planDeltaToProto(d, "p1", 4));
      const back = fromBinary(PlanDeltaSchema, bytes);
      expect(back.problemId).toBe("p1");
      expect(back.sequence).toBe(4);
      expect(planDeltaFromProto(back)).toEqual(d);
    }
    expect(describePlanEdit(plan, { kind: "remove", at: 1 })).toBe("remove step 1 (gvn)");
  });

  it("refuses a contract delta with no op, no step or a swap with itself", () => {
    const base = planDeltaToProto({ kind: "insert", at: 1, step: { pass: "gvn" }, evidence: noEvidence("") });
    expect(() => planDeltaFromProto({ ...base, op: 0 })).toThrow(/unknown op/);
    expect(() => planDeltaFromProto({ ...base, step: undefined })).toThrow(/a step is required/);
    const swap = planDeltaToProto({ kind: "swap", at: 1, with: 2, evidence: noEvidence("") });
    expect(() => planDeltaFromProto({ ...swap, otherPosition: 1 })).toThrow(/with itself/);
  });
});
