import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { compilerToProto, objectiveToProto, planKey, type Plan, type PlanStep, type SearchSpace } from "../../kernel/plan/index.js";
import { buildPlanSet, DEFAULT_RANKING, planSetVersion, rankPlans, type PlanRanking } from "../planset/index.js";
import { RandomSearch } from "./random-search.js";
import { seededRandom } from "../../kernel/plan/index.js";
import { bestOf, type Evaluation, type Strategy, type StrategyContext, type StrategyDefinition } from "./strategy.js";

/**
 * `--strategy transfer`: the plan set of the problem's compiler version and objective —
 * the registry's newest (built and signed by the node, `opm planset build --registry`),
 * else one built here from the market's signals — ranked for this problem (`DEFAULT_RANKING`);
 * then local moves around the best so far.
 */
export const transfer: StrategyDefinition = {
  name: "transfer",
  summary: "the market's plan set (the plans that cover most problems, then their runner-ups), ranked for this problem, then local moves",
  async prepare(context: StrategyContext): Promise<Strategy> {
    return transferSearch(context, await loadPlanSet(context));
  },
};

/**
 * The plan set a search of `context`'s problem should use: the newest its signal source
 * holds for the problem's compiler version and objective (a registry's, signature checked:
 * a tampered or unsigned one throws), else the one the source's signals build, else
 * undefined (nothing improved anything yet). With `version` (a resumed or replayed
 * campaign's): exactly that set, or failed_precondition when the source cannot give it.
 */
export async function loadPlanSet(context: StrategyContext, version = context.signals.pinnedPlanSet): Promise<PlanSet | undefined> {
  const { problem } = context;
  if (version === "") return undefined; // a campaign that used none resumes with none
  const query = { compiler: problem.compiler, compilerVersion: problem.compilerVersion, objective: problem.objective };
  const stored = await context.signals.newestPlanSet?.(version === undefined || version === "" ? query : { ...query, version });
  if (stored !== undefined) return stored.planSet;
  const signals = await context.signals.list({ compiler: problem.compiler, objective: problem.objective });
  let built: PlanSet | undefined;
  try {
    built = buildPlanSet(signals, { compiler: problem.compiler, objective: problem.objective, compilerVersion: problem.compilerVersion });
  } catch (err) {
    if (!(err instanceof OpmError && err.code === "failed_precondition")) throw err;
    built = undefined; // nothing to learn from yet: local moves from the default alone
  }
  if (version !== undefined && version !== "" && (built === undefined || planSetVersion(built) !== version)) {
    throw new OpmError("failed_precondition", `plan set ${version} is not available here (the signals give ${built === undefined ? "none" : planSetVersion(built)})`, { field: "plan_set_version" });
  }
  return built;
}

/**
 * The transfer strategy on a given plan set (a signed file, a benchmark's leave-one-out
 * set), its plans ranked by `ranking` (default `DEFAULT_RANKING`): deterministic given the
 * context's seed and problem, the history and the set's version. Throws failed_precondition when the set is for another compiler version or objective.
 */
export function transferSearch(context: StrategyContext, set: PlanSet | undefined, ranking: PlanRanking = DEFAULT_RANKING): Strategy {
  const { problem, space, seed } = context;
  if (set !== undefined) {
    const wrong = set.compiler !== compilerToProto(problem.compiler) ? "compiler" : set.objective !== objectiveToProto(problem.objective) ? "objective"
      : set.compilerVersion !== problem.compilerVersion ? `compiler version (${set.compilerVersion}, the problem's ${problem.compilerVersion})` : undefined;
    if (wrong !== undefined) throw new OpmError("failed_precondition", `the plan set is for another ${wrong}`, { field: "plan_set" });
  }
  const plans = set === undefined ? [] : rankPlans(set, problem.features, ranking).filter((p) => withinSpace(p, space));
  return new TransferSearch(space, seed, plans, set === undefined ? "" : planSetVersion(set));
}

/**
 * Proposes the compiler's default, then `plans` in order, then plans one random edit
 * (insert, remove, replace or swap of a step after the prefix) away from the best plan so
 * far; when no new neighbour turns up, random plans.
 */
export class TransferSearch implements Strategy {
  readonly name = "transfer";
  private readonly queue: Plan[];
  private readonly proposed = new Set<string>();
  private readonly random: () => number;
  private readonly fallback: RandomSearch;
  private started = false;

  /**
   * @param planSetVersion the version of the plan set `plans` come from ("" for none): a
   *   campaign records it, so a resumed or replayed search can insist on the same set.
   */
  constructor(private readonly space: SearchSpace, seed: number, plans: readonly Plan[], readonly planSetVersion = "") {
    this.queue = [...plans];
    this.random = seededRandom(seed);
    this.fallback = new RandomSearch(space, seed ^ 0x5f3759df);
  }

  next(history: readonly Evaluation[], max: number): Plan[] {
    const out: Plan[] = [];
    const take = (plan: Plan): void => {
      const key = planKey(plan);
      if (this.proposed.has(key)) return;
      this.proposed.add(key);
      out.push(plan);
    };
    if (!this.started) {
      this.started = true;
      take({ steps: [...this.space.prefix] });
    }
    while (out.length < max && this.queue.length > 0) take(this.queue.shift()!);
    const best = bestOf(history)?.plan ?? { steps: [...this.space.prefix] };
    for (let tries = 0; out.length < max && tries < max * 50 && this.space.moves.length > 0; tries++) {
      const edited = this.edit(best);
      if (edited !== undefined) take(edited);
    }
    for (let rounds = 0; out.length < max && rounds < 20; rounds++) {
      const extra = this.fallback.next(history, max - out.length);
      if (extra.length === 0) break;
      extra.forEach(take);
    }
    return out;
  }

  /** One random edit of `plan` after its prefix, within `maxSteps`; undefined when the drawn edit does not apply. */
  private edit(plan: Plan): Plan | undefined {
    const { prefix, moves, maxSteps } = this.space;
    const head = startsWith(plan.steps, prefix) ? prefix.length : 0;
    const steps = [...plan.steps];
    const tail = steps.length - head;
    const pick = (n: number): number => Math.floor(this.random() * n);
    const move = (): PlanStep => moves[pick(moves.length)]!;
    switch (pick(4)) {
      case 0: // insert
        if (steps.length >= maxSteps) return undefined;
        steps.splice(head + pick(tail + 1), 0, move());
        break;
      case 1: // remove
        if (tail === 0) return undefined;
        steps.splice(head + pick(tail), 1);
        break;
      case 2: // replace
        if (tail === 0) return undefined;
        steps[head + pick(tail)] = move();
        break;
      default: { // swap two steps
        if (tail < 2) return undefined;
        const i = head + pick(tail), j = head + pick(tail);
        if (i === j) return undefined;
        [steps[i], steps[j]] = [steps[j]!, steps[i]!];
      }
    }
    return { steps };
  }
}

function startsWith(steps: readonly PlanStep[], prefix: readonly PlanStep[]): boolean {
  return prefix.length <= steps.length && prefix.every((s, i) => planKey({ steps: [s] }) === planKey({ steps: [steps[i]!] }));
}

/** True when every step of `plan` is one the space offers and it is no longer than the space allows. */
export function withinSpace(plan: Plan, space: SearchSpace): boolean {
  if (plan.steps.length > space.maxSteps) return false;
  const offered = new Set([...space.prefix, ...space.alternatives.flat(), ...space.moves].map((s) => planKey({ steps: [s] })));
  return plan.steps.every((s) => offered.has(planKey({ steps: [s] })));
}
