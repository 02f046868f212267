import {
  applyPlanEdit, describePlanEdit, headLength, planKey, type Plan, type PlanDelta, type PlanEdit, type PlanEvidence, type PlanStep,
} from "../../kernel/plan/index.js";
import { MoveStats, type EditKind, type MoveHint } from "./move-stats.js";
import { seededRandom } from "../../kernel/plan/index.js";
import { bestOf, type Evaluation, type SearchSpace, type Strategy, type StrategyDefinition } from "./strategy.js";

export interface LocalSearchOptions {
  seed: number;
  /** Evaluated neighbours of one plan that did not improve it before the search perturbs the best plan (default 24). */
  patience?: number;
  /** Most random edits in a perturbation, at least 2 (default 3). */
  kick?: number;
  /** Moves the market found in improving plans of similar problems: proposed more often, cited as evidence. */
  hints?: readonly MoveHint[];
}

/** Why a plan was proposed: the plan it was made from and the deltas (with their evidence) that make it, in order. */
export interface Proposal {
  plan: Plan;
  parent: Plan;
  /** One delta, or several for a block of insertions and for a perturbation. */
  deltas: PlanDelta[];
  kind: EditKind | "kick";
}

/** Says whether a plan (by `planKey`) is already taken by someone else's proposal in the same batch. */
export type Taken = (key: string) => boolean;

/**
 * Local search that keeps improving: first-improvement hill climbing from the best plan
 * so far, one `PlanDelta` at a time (insert, remove, replace, swap a step after the
 * compiler's default), with iterated-local-search perturbations.
 * - Each proposal is a neighbour of the climb's current plan (one edit, or a block of
 *   2–4 insertions that tests several moves in one evaluation), drawn by learnt weights
 *   (`MoveStats`: edits and moves that changed the metric are drawn more, those that did
 *   nothing less; swaps stop once they never matter; no step twice when order does not).
 * - When an evaluated neighbour is smaller than the current plan, the climb moves to the
 *   smallest such; an equal-valued removal is taken too (same size, shorter plan, more room).
 * - A better plan found by anyone else (an ensemble's other techniques) restarts the climb there.
 * - After `patience` non-improving neighbours, or when no unseen neighbour turns up, it
 *   perturbs the best plan with `kick` random edits and climbs from there.
 * Never touches the prefix, proposes only the space's moves, never longer than `maxSteps`;
 * deterministic given the seed and the sequence of histories it is called with.
 */
export class LocalSearch implements Strategy {
  readonly name = "local";
  private readonly random: () => number;
  private readonly stats: MoveStats;
  private readonly patience: number;
  private readonly kickSize: number;
  private readonly proposals = new Map<string, Proposal>();
  private readonly valueOf = new Map<string, number | undefined>();
  private readonly counted = new Set<string>();
  private processed = 0;
  private started = false;
  private current: Plan | undefined;
  private failures = 0;
  private anchor = Infinity;

  constructor(private readonly space: SearchSpace, options: LocalSearchOptions) {
    this.random = seededRandom(options.seed);
    this.stats = new MoveStats(options.hints);
    this.patience = options.patience ?? 24;
    this.kickSize = options.kick ?? 3;
  }

  /** The proposal behind a plan this search proposed (undefined for the default levels and plans it did not propose). */
  proposalOf(plan: Plan): Proposal | undefined {
    return this.proposals.get(planKey(plan));
  }

  next(history: readonly Evaluation[], max: number, taken: Taken = () => false): Plan[] {
    this.absorb(history);
    const out: Plan[] = [];
    const fresh = (key: string) => !this.valueOf.has(key) && !this.proposals.has(key) && !taken(key);
    if (!this.started) {
      this.started = true;
      for (const steps of [this.space.prefix, ...this.space.alternatives]) {
        const plan = { steps: [...steps] };
        if (out.length < max && fresh(planKey(plan))) out.push(plan);
      }
    }
    if (this.space.moves.length === 0) return out;
    this.steer(history);
    const current = () => this.current!;
    for (let misses = 0, kicks = 0; out.length < max && kicks < 8; ) {
      const exhausted = this.failures + this.pendingFrom(current()) >= this.patience || misses >= 40;
      const proposal = exhausted ? this.kick(history) : this.neighbour(current());
      if (exhausted) kicks++, (misses = 0);
      if (proposal === undefined || !fresh(planKey(proposal.plan))) {
        misses++;
        continue;
      }
      this.proposals.set(planKey(proposal.plan), proposal);
      out.push(proposal.plan);
      if (proposal.kind === "kick") this.moveTo(proposal.plan);
    }
    return out;
  }

  /** Reads the evaluations it has not seen yet: their values, and what each of its edits did against its parent. */
  private absorb(history: readonly Evaluation[]): void {
    // Values are read afresh: a signal refused after a spot check leaves the history (its value becomes undefined).
    this.valueOf.clear();
    for (const e of history) if (!this.valueOf.has(planKey(e.plan))) this.valueOf.set(planKey(e.plan), e.value);
    for (; this.processed < history.length; this.processed++) {
      const e = history[this.processed]!;
      const key = planKey(e.plan);
      if (this.counted.has(key)) continue;
      this.counted.add(key);
      const p = this.proposals.get(key);
      const parent = p === undefined ? undefined : this.valueOf.get(planKey(p.parent));
      if (p === undefined || p.kind === "kick" || parent === undefined) continue;
      const first = p.deltas[0]!;
      const inserted = p.deltas.flatMap((d) => (d.kind === "insert" ? [d.step] : []));
      const moved = first.kind === "remove" ? { removed: p.parent.steps[first.at]! } : { inserted };
      this.stats.record(p.kind, parent, e.value, this.processed, moved);
      if (this.current !== undefined && planKey(p.parent) === planKey(this.current) && !(e.value !== undefined && e.value < parent)) this.failures++;
    }
  }

  /** Moves the climb: to its best improving neighbour, or an equal-valued removal, or the global best when someone found better. */
  private steer(history: readonly Evaluation[]): void {
    const best = bestOf(history);
    if (this.current === undefined) {
      this.moveTo(best?.plan ?? { steps: [...this.space.prefix] });
      this.anchor = best?.value ?? Infinity;
    }
    const here = planKey(this.current!);
    const value = this.valueOf.get(here);
    if (value !== undefined) {
      let step: { plan: Plan; value: number } | undefined;
      for (const p of this.proposals.values()) {
        const v = this.valueOf.get(planKey(p.plan));
        if (planKey(p.parent) !== here || p.kind === "kick" || v === undefined) continue;
        const better = v < value || (v === value && p.kind === "remove");
        if (better && (step === undefined || v < step.value)) step = { plan: p.plan, value: v };
      }
      if (step !== undefined) this.moveTo(step.plan);
    }
    const now = this.valueOf.get(planKey(this.current!));
    const failed = this.valueOf.has(planKey(this.current!)) && now === undefined;
    if (best !== undefined && (failed || (best.value! < this.anchor && best.value! < (now ?? Infinity)))) this.moveTo(best.plan);
    if (best !== undefined) this.anchor = Math.min(this.anchor, best.value!);
  }

  private moveTo(plan: Plan): void {
    this.current = { steps: [...plan.steps] };
    this.failures = 0;
  }

  private pendingFrom(plan: Plan): number {
    const key = planKey(plan);
    let n = 0;
    for (const p of this.proposals.values()) if (p.kind !== "kick" && planKey(p.parent) === key && !this.valueOf.has(planKey(p.plan))) n++;
    return n;
  }

  /** One edit of `plan` (or a block of insertions), drawn by the learnt weights; undefined when the drawn edit does not apply. */
  private neighbour(plan: Plan): Proposal | undefined {
    const room = this.space.maxSteps - plan.steps.length;
    if (room >= 2 && this.random() * (this.stats.kindWeight("block") + this.stats.kindWeight("insert")) < this.stats.kindWeight("block")) return this.block(plan, room);
    const edit = this.drawEdit(plan);
    if (edit === undefined) return undefined;
    return { plan: applyPlanEdit(plan, edit), parent: plan, deltas: [{ ...edit, evidence: this.evidenceFor(plan, edit) }], kind: edit.kind };
  }

  /** 2–4 insertions at once, each drawn as a single insertion is. */
  private block(plan: Plan, room: number): Proposal | undefined {
    const size = Math.min(room, 2 + Math.floor(this.random() * 3));
    const deltas: PlanDelta[] = [];
    let next = plan;
    for (let tries = 0; deltas.length < size && tries < 3 * size; tries++) {
      const edit = this.drawEdit(next, "insert");
      if (edit === undefined || edit.kind !== "insert") continue;
      const r = this.stats.kindRecord("block");
      const summary = `block of ${size} insertions into "${planKey(plan)}", ${deltas.length + 1}: ${describePlanEdit(next, edit)}` +
        (r.improved > 0 ? `: blocks improved the metric in evaluations ${r.changedAt.slice(-3).join(", ")}` : ": several moves tested in one evaluation");
      deltas.push({ ...edit, evidence: { summary, evaluations: r.improved > 0 ? r.changedAt.slice(-3) : [], signalIds: [] } });
      next = applyPlanEdit(next, edit);
    }
    return deltas.length < 2 ? undefined : { plan: next, parent: plan, deltas, kind: "block" };
  }

  /** The best plan so far with `kick` random edits: where the climb goes on once it is stuck. */
  private kick(history: readonly Evaluation[]): Proposal | undefined {
    const best = bestOf(history)?.plan ?? { steps: [...this.space.prefix] };
    let plan = best;
    const edits: PlanEdit[] = [];
    // Between 2 and `kick` edits: small kicks stay near the best, large ones reach other basins.
    const size = Math.min(this.kickSize, 2 + Math.floor(this.random() * Math.max(1, this.kickSize - 1)));
    for (let i = 0, tries = 0; i < size && tries < 4 * size; tries++) {
      const edit = this.drawEdit(plan);
      if (edit === undefined) continue;
      plan = applyPlanEdit(plan, edit);
      edits.push(edit);
      i++;
    }
    if (edits.length === 0) return undefined;
    const stuck = planKey(this.current ?? best);
    const summary = `perturb the best plan with ${size} random edits: the climb at "${stuck}" stopped improving (${this.failures} neighbours evaluated)`;
    return { plan, parent: best, deltas: edits.map((e) => ({ ...e, evidence: { summary, evaluations: [], signalIds: [] } })), kind: "kick" };
  }

  private drawEdit(plan: Plan, only?: PlanEdit["kind"]): PlanEdit | undefined {
    const { moves, maxSteps } = this.space;
    const head = headLength(plan, this.space);
    const tail = plan.steps.length - head;
    const ordered = this.stats.orderMatters();
    const kinds: Array<[PlanEdit["kind"], number]> = [];
    if (plan.steps.length < maxSteps) kinds.push(["insert", this.stats.kindWeight("insert")]);
    if (tail > 0) kinds.push(["remove", this.stats.kindWeight("remove")], ["replace", this.stats.kindWeight("replace")]);
    if (tail > 1 && ordered) kinds.push(["swap", this.stats.kindWeight("swap")]);
    const kind = only ?? this.pick(kinds);
    if (only !== undefined && !kinds.some(([k]) => k === only)) return undefined;
    const at = (n: number) => head + Math.floor(this.random() * n);
    // Steps whose insertion improved the metric are removed or replaced less often.
    const victim = () => this.pick(plan.steps.slice(head).map((s, i): [number, number] => [head + i, this.stats.keepWeight(s)]))!;
    // Without order, a step already in the plan adds nothing.
    const present = new Set(plan.steps.map((s) => planKey({ steps: [s] })));
    const candidates = ordered ? moves : moves.filter((m) => !present.has(planKey({ steps: [m] })));
    const move = () => this.pick(candidates.map((m): [PlanStep, number] => [m, this.stats.moveWeight(m)]));
    switch (kind) {
      case "insert": {
        const step = move();
        return step === undefined ? undefined : { kind, at: ordered ? at(tail + 1) : plan.steps.length, step };
      }
      case "remove":
        return { kind, at: victim() };
      case "replace": {
        const i = victim();
        // A valued step (`-fX=v`, a setting) first tries its other values.
        const pass = plan.steps[i]!.pass;
        const others = moves.filter((m) => m.pass === pass && m.value !== plan.steps[i]!.value);
        const step = others.length > 0 && this.random() < 0.5 ? others[Math.floor(this.random() * others.length)]! : move();
        return step === undefined ? undefined : { kind, at: i, step };
      }
      case "swap": {
        const i = at(tail), j = at(tail);
        return i === j ? undefined : { kind, at: Math.min(i, j), with: Math.max(i, j) };
      }
      default:
        return undefined;
    }
  }

  /** What this search's history (or the market) says for `edit`. */
  private evidenceFor(plan: Plan, edit: PlanEdit): PlanEvidence {
    const what = describePlanEdit(plan, edit);
    const base = `${what} of "${planKey(plan)}"${this.valueOf.get(planKey(plan)) === undefined ? "" : ` (${this.valueOf.get(planKey(plan))})`}`;
    if (edit.kind === "insert" || edit.kind === "replace") {
      const r = this.stats.moveRecord(edit.step);
      const hint = this.stats.hintOf(edit.step);
      if (r.changed > 0) return { summary: `${base}: it changed the metric in evaluations ${r.changedAt.slice(-3).join(", ")}`, evaluations: r.changedAt.slice(-3), signalIds: [] };
      if (hint !== undefined) {
        const problems = hint.problemIds.slice(0, 3).map((id) => id.slice(0, 12)).join(", ");
        return { summary: `${base}: the market's plan set has it in plans that improved similar problems (${problems})`, evaluations: [], signalIds: [] };
      }
      return { summary: `${base}: ${r.tried === 0 ? "not tried yet" : `tried ${r.tried} times, no change yet`}`, evaluations: [], signalIds: [] };
    }
    if (edit.kind === "remove") {
      const idle = this.stats.moveRecord(plan.steps[edit.at]!).idleAt;
      if (idle.length > 0) return { summary: `${base}: adding it made no difference in evaluation ${idle[idle.length - 1]}`, evaluations: [idle[idle.length - 1]!], signalIds: [] };
      return { summary: `${base}: a shorter plan`, evaluations: [], signalIds: [] };
    }
    const swaps = this.stats.kindRecord("swap");
    return { summary: `${base}: ${swaps.changed > 0 ? `order changed the metric in evaluation ${swaps.changedAt[swaps.changedAt.length - 1]}` : "order untested"}`, evaluations: swaps.changedAt.slice(-1), signalIds: [] };
  }

  /** One of `weighted` drawn in proportion to its weight; undefined when empty or all zero. */
  private pick<T>(weighted: ReadonlyArray<readonly [T, number]>): T | undefined {
    const total = weighted.reduce((s, [, w]) => s + w, 0);
    if (!(total > 0)) return undefined;
    let r = this.random() * total;
    for (const [x, w] of weighted) if ((r -= w) < 0) return x;
    return weighted[weighted.length - 1]![0];
  }
}

/** `--strategy local`. */
export const localSearch: StrategyDefinition = {
  name: "local",
  summary: "hill climbing from the best plan by one insert/remove/replace/swap at a time, learning which moves matter; perturbs when stuck",
  prepare: async ({ space, seed }) => new LocalSearch(space, { seed }),
};
