import { planKey, type PlanEdit, type PlanStep } from "../../kernel/plan/index.js";

/** What the search's own evaluations showed about one kind of edit or one move. */
export interface EditRecord {
  /** Evaluations of a plan made by it, from a parent whose value was known. */
  tried: number;
  /** Those whose value differed from the parent's. */
  changed: number;
  /** Those whose value was smaller than the parent's. */
  improved: number;
  /** History indices of the evaluations that changed something (the evidence), oldest first. */
  changedAt: number[];
  /** History indices of the evaluations that changed nothing. */
  idleAt: number[];
}

/** A move in the market's plan set, in plans that improved similar problems. */
export interface MoveHint {
  step: PlanStep;
  /** How much more often to propose it than an untried move (≥ 0). */
  weight: number;
  /** The plan set's problems behind it (content ids). */
  problemIds: string[];
}

/**
 * What a local search proposes: one of the four `PlanDelta` edits, or a block — several
 * moves inserted at once (group testing: a block that changes nothing clears all its moves
 * in one evaluation; on a plateau, where no single move helps, pairs can).
 */
export type EditKind = PlanEdit["kind"] | "block";

const empty = (): EditRecord => ({ tried: 0, changed: 0, improved: 0, changedAt: [], idleAt: [] });

/**
 * What a local search learnt from its own evaluations: per edit kind and per move, how
 * often the edit changed or improved the metric against the plan it was made from. Its
 * weights make the search propose more of what has changed something, less of what has
 * not — a soft form of the group screening that pays on GCC, where most flags do nothing
 * at -Os — and whether the order of steps seems to matter at all (it does not for flags).
 */
export class MoveStats {
  private readonly kinds = new Map<EditKind, EditRecord>();
  private readonly moves = new Map<string, EditRecord>();
  private readonly hints = new Map<string, MoveHint>();

  constructor(hints: readonly MoveHint[] = []) {
    for (const h of hints) this.hints.set(planKey({ steps: [h.step] }), h);
  }

  /**
   * Records one evaluation (history index `at`) of an edit made from a parent valued
   * `parent`. The kind's record counts every edit; a move's record only what can be
   * blamed on it: an insertion of it, alone or in a block (changed, improved — a block
   * that changed nothing clears each of its moves), or a removal of it (changed: the step
   * matters) — not a replacement, whose effect may be the removed step's.
   */
  record(kind: EditKind, parent: number, value: number | undefined, at: number, moved: { inserted?: readonly PlanStep[]; removed?: PlanStep } = {}): void {
    const changed = value !== undefined && value !== parent;
    const improved = value !== undefined && value < parent;
    const records: Array<[EditRecord, boolean]> = [[this.kindRecord(kind), true]];
    for (const step of moved.inserted ?? []) records.push([this.moveRecord(step), true]);
    if (moved.removed !== undefined) records.push([this.moveRecord(moved.removed), false]);
    for (const [r, countImproved] of records) {
      r.tried++;
      if (changed) {
        r.changed++;
        r.changedAt.push(at);
        if (improved && countImproved) r.improved++;
      } else r.idleAt.push(at);
    }
  }

  kindRecord(kind: EditKind): EditRecord {
    let r = this.kinds.get(kind);
    if (r === undefined) this.kinds.set(kind, (r = empty()));
    return r;
  }

  moveRecord(step: PlanStep): EditRecord {
    const key = planKey({ steps: [step] });
    let r = this.moves.get(key);
    if (r === undefined) this.moves.set(key, (r = empty()));
    return r;
  }

  hintOf(step: PlanStep): MoveHint | undefined {
    return this.hints.get(planKey({ steps: [step] }));
  }

  /** How likely to propose an edit of `kind`: an optimistic improvement rate (untried: 1/2). */
  kindWeight(kind: EditKind): number {
    const r = this.kindRecord(kind);
    return (1 + 3 * r.improved) / (2 + r.tried);
  }

  /**
   * How likely to propose `step` (untried: 1, times 1 + its market hint's weight): up
   * with each change and more with each improvement it made, down with each evaluation
   * where it changed nothing.
   */
  moveWeight(step: PlanStep): number {
    const r = this.moves.get(planKey({ steps: [step] }));
    const own = r === undefined ? 1 : (1 + r.changed + 3 * r.improved) / (1 + 2 * (r.tried - r.changed));
    return own * (1 + (this.hintOf(step)?.weight ?? 0));
  }

  /** How likely to remove or replace a step already in the plan: less the more its insertion improved the metric. */
  keepWeight(step: PlanStep): number {
    return 1 / (1 + 3 * (this.moves.get(planKey({ steps: [step] }))?.improved ?? 0));
  }

  /** False once two swaps or more were evaluated and none changed anything: the steps behave as a set (flags). */
  orderMatters(): boolean {
    const r = this.kindRecord("swap");
    return r.tried < 2 || r.changed > 0;
  }
}
