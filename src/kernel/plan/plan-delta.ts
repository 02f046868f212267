/**
 * `PlanDelta`: one step of an optimization plan's history — insert, remove, replace or
 * swap a step at a position — with the evidence that motivated it. Strategies propose
 * deltas against the best plan so far; the contract carries them (`plan_delta.proto`) so a
 * campaign's history can say why each plan was tried.
 */
import { OpmError } from "../errors/index.js";
import { planKey, type Plan, type PlanStep, type SearchSpace } from "./plan.js";

/** What a delta does; positions are 0-based indices into the plan's steps (prefix included). */
export type PlanEdit =
  | { kind: "insert"; at: number; step: PlanStep } // the step lands at `at` (0..length)
  | { kind: "remove"; at: number }
  | { kind: "replace"; at: number; step: PlanStep }
  | { kind: "swap"; at: number; with: number };

/** Why a delta was proposed: a sentence, the evaluations (history indices) and market signals behind it. */
export interface PlanEvidence {
  /** e.g. "remove: step 7 (gvn) made no difference in evaluation 12". */
  summary: string;
  /** Indices into the search's history. */
  evaluations: number[];
  /** Ids of market signals (other problems' verified results). */
  signalIds: string[];
}

export type PlanDelta = PlanEdit & { evidence: PlanEvidence };

/** Evidence of nothing in particular (a random draw), with the reason given. */
export function noEvidence(summary: string): PlanEvidence {
  return { summary, evaluations: [], signalIds: [] };
}

/**
 * Whether `edit` applies to a plan of `length` steps; the reason if not. Requires nothing;
 * positions must be integers in range and a swap must name two different positions.
 */
export function planEditProblem(edit: PlanEdit, length: number): string | undefined {
  const inRange = (i: number, max: number) => Number.isInteger(i) && i >= 0 && i <= max;
  switch (edit.kind) {
    case "insert":
      return inRange(edit.at, length) ? undefined : `insert at ${edit.at}: outside 0..${length}`;
    case "remove":
    case "replace":
      return inRange(edit.at, length - 1) ? undefined : `${edit.kind} at ${edit.at}: plan has ${length} steps`;
    case "swap":
      if (!inRange(edit.at, length - 1) || !inRange(edit.with, length - 1)) return `swap ${edit.at} and ${edit.with}: plan has ${length} steps`;
      return edit.at === edit.with ? `swap ${edit.at} with itself` : undefined;
  }
}

/** The plan `edit` makes of `plan` (a new plan; `plan` is not changed). Throws invalid_argument naming the position when it does not apply. */
export function applyPlanEdit(plan: Plan, edit: PlanEdit): Plan {
  const problem = planEditProblem(edit, plan.steps.length);
  if (problem !== undefined) throw new OpmError("invalid_argument", `plan delta does not apply: ${problem}`, { field: "plan_delta" });
  const steps = plan.steps.map((s) => ({ ...s }));
  switch (edit.kind) {
    case "insert":
      steps.splice(edit.at, 0, { ...edit.step });
      break;
    case "remove":
      steps.splice(edit.at, 1);
      break;
    case "replace":
      steps[edit.at] = { ...edit.step };
      break;
    case "swap":
      [steps[edit.at], steps[edit.with]] = [steps[edit.with]!, steps[edit.at]!];
  }
  return { steps };
}

/**
 * Whether the plan `edit` makes of `plan` stays within `space`: it applies, it leaves the
 * prefix untouched (positions before `prefix.length` are the compiler's default), it
 * inserts or puts in only steps the space offers as moves, and it is at most `maxSteps`
 * long. Returns the reason when not. Requires `plan` to start with `space.prefix` or
 * one of its `alternatives` (the head kept is whichever it starts with).
 */
export function planEditOutsideSpace(plan: Plan, edit: PlanEdit, space: SearchSpace): string | undefined {
  const problem = planEditProblem(edit, plan.steps.length);
  if (problem !== undefined) return problem;
  const head = headLength(plan, space);
  const touched = edit.kind === "swap" ? Math.min(edit.at, edit.with) : edit.at;
  if (touched < head) return `${edit.kind} at ${touched}: inside the compiler's default (the first ${head} steps)`;
  if (edit.kind === "insert" || edit.kind === "replace") {
    const key = planKey({ steps: [edit.step] });
    if (!space.moves.some((m) => planKey({ steps: [m] }) === key)) return `${edit.kind} ${key}: not a move of the search space`;
  }
  if (edit.kind === "insert" && plan.steps.length + 1 > space.maxSteps) return `insert: the plan would have ${plan.steps.length + 1} steps, more than ${space.maxSteps}`;
  return undefined;
}

/** How many leading steps of `plan` are the space's prefix or one of its alternative levels (0 when neither). */
export function headLength(plan: Plan, space: SearchSpace): number {
  const heads = [space.prefix, ...space.alternatives].filter((h) => startsWith(plan.steps, h)).map((h) => h.length);
  return heads.length === 0 ? 0 : Math.max(...heads);
}

function startsWith(steps: readonly PlanStep[], head: readonly PlanStep[]): boolean {
  return head.length <= steps.length && head.every((s, i) => planKey({ steps: [s] }) === planKey({ steps: [steps[i]!] }));
}

/** A short human reading of an edit against `plan`: "remove step 3 (gvn)", "insert licm at 2". */
export function describePlanEdit(plan: Plan, edit: PlanEdit): string {
  const name = (i: number) => planKey({ steps: [plan.steps[i] ?? { pass: "?" }] });
  switch (edit.kind) {
    case "insert":
      return `insert ${planKey({ steps: [edit.step] })} at ${edit.at}`;
    case "remove":
      return `remove step ${edit.at} (${name(edit.at)})`;
    case "replace":
      return `replace step ${edit.at} (${name(edit.at)}) by ${planKey({ steps: [edit.step] })}`;
    case "swap":
      return `swap steps ${edit.at} (${name(edit.at)}) and ${edit.with} (${name(edit.with)})`;
  }
}
