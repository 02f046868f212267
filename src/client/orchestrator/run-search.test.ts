import { describe, expect, it } from "vitest";
import { isOpmError } from "../../kernel/errors/index.js";
import type { Plan, SearchSpace } from "../../kernel/plan/index.js";
import { RandomSearch } from "./random-search.js";
import { requireRecordedPlans } from "./run-search.js";

const space: SearchSpace = { prefix: [{ pass: "default", value: "Oz" }], alternatives: [], moves: ["instcombine", "gvn", "sroa", "dce", "licm", "simplifycfg"].map((pass) => ({ pass })), maxSteps: 6 };
const plans = (...keys: string[]): Plan[] => keys.map((k) => ({ steps: k.split(" ").map((pass) => ({ pass })) }));

describe("requireRecordedPlans (re-driving a campaign's batches)", () => {
  it("accepts what a strategy with the recorded seed proposes again, and refuses another seed's plans naming the first difference", () => {
    const recorded = { sequence: 1, jobIds: ["j1", "j2", "j3"], plans: new RandomSearch(space, 7).next([], 3) };
    expect(() => requireRecordedPlans(recorded, new RandomSearch(space, 7).next([], 3), "random")).not.toThrow();
    const other = new RandomSearch(space, 8).next([], 3);
    let error: unknown;
    try {
      requireRecordedPlans(recorded, other, "random");
    } catch (err) {
      error = err;
    }
    expect(isOpmError(error) && error.code).toBe("failed_precondition");
    expect(String((error as Error).message)).toMatch(/^the campaign cannot resume deterministically: in batch 1 strategy random proposed plan \d+ /);
  });

  it("refuses a batch of another size", () => {
    expect(() => requireRecordedPlans({ sequence: 4, jobIds: ["a", "b"], plans: plans("gvn", "dce") }, plans("gvn"), "greedy"))
      .toThrow("in batch 4 strategy greedy proposed 1 plans where it recorded 2");
  });
});
