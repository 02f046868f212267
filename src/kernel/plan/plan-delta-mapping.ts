import { create } from "@bufbuild/protobuf";
import { PlanDelta_Op, PlanDeltaSchema, type PlanDelta as PlanDeltaProto } from "../../gen/openpassmarket/v1/signal_pb.js";
import { OpmError } from "../errors/index.js";
import type { PlanDelta, PlanEdit } from "./plan-delta.js";
import { planStepFromProto } from "./proto-mapping.js";

const OP_TO_PROTO: Record<PlanEdit["kind"], PlanDelta_Op> = {
  insert: PlanDelta_Op.INSERT, remove: PlanDelta_Op.REMOVE, replace: PlanDelta_Op.REPLACE, swap: PlanDelta_Op.SWAP,
};

/** The contract's `PlanDelta` of a delta, as the `sequence`-th step of problem `problemId`'s plan history. */
export function planDeltaToProto(delta: PlanDelta, problemId = "", sequence = 0): PlanDeltaProto {
  const step = delta.kind === "insert" || delta.kind === "replace" ? { pass: delta.step.pass, value: delta.step.value ?? "" } : undefined;
  return create(PlanDeltaSchema, {
    problemId, op: OP_TO_PROTO[delta.kind], position: delta.at, step, sequence,
    otherPosition: delta.kind === "swap" ? delta.with : 0,
    evidence: [...delta.evidence.signalIds], reason: delta.evidence.summary, evaluations: [...delta.evidence.evaluations],
  });
}

/**
 * The delta a contract `PlanDelta` describes. Throws invalid_argument naming the field when
 * the op is unknown, a step is missing or empty, or a swap names one position twice.
 */
export function planDeltaFromProto(message: PlanDeltaProto): PlanDelta {
  const evidence = { summary: message.reason, evaluations: [...message.evaluations], signalIds: [...message.evidence] };
  const stepOf = () => {
    if (message.step === undefined || message.step.pass === "") throw new OpmError("invalid_argument", "plan delta: a step is required", { field: "plan_delta.step" });
    return planStepFromProto(message.step);
  };
  let edit: PlanEdit;
  switch (message.op) {
    case PlanDelta_Op.INSERT: edit = { kind: "insert", at: message.position, step: stepOf() }; break;
    case PlanDelta_Op.REMOVE: edit = { kind: "remove", at: message.position }; break;
    case PlanDelta_Op.REPLACE: edit = { kind: "replace", at: message.position, step: stepOf() }; break;
    case PlanDelta_Op.SWAP:
      if (message.otherPosition === message.position) throw new OpmError("invalid_argument", `plan delta: swap ${message.position} with itself`, { field: "plan_delta.other_position" });
      edit = { kind: "swap", at: message.position, with: message.otherPosition };
      break;
    default:
      throw new OpmError("invalid_argument", `plan delta: unknown op ${message.op}`, { field: "plan_delta.op" });
  }
  return { ...edit, evidence };
}
