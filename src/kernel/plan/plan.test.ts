import { describe, expect, it } from "vitest";
import { OpmError } from "../errors/index.js";
import { parsePlanKey, planKey, type Plan } from "./plan.js";

describe("planKey / parsePlanKey", () => {
  it("round-trip passes, settings, flags, valued options and params", () => {
    const plans: Plan[] = [
      { steps: [] },
      { steps: [{ pass: "default", value: "Oz" }, { pass: "gvn" }, { pass: "loop-unroll" }] },
      { steps: [{ pass: "opt_level", value: "speed_and_size" }, { pass: "egraph" }] },
      { steps: [{ pass: "-Os" }, { pass: "-fno-inline-functions" }, { pass: "-fno-threadsafe-statics", value: "off" }] },
      { steps: [{ pass: "-Os" }, { pass: "-fvect-cost-model", value: "unlimited" }, { pass: "max-jump-thread-duplication-stmts", value: "0" }] },
    ];
    for (const plan of plans) expect(parsePlanKey(planKey(plan))).toEqual(plan);
  });

  it("refuses a word it cannot read back, naming it", () => {
    for (const [key, word] of [["-Os -fvect-cost-model==unlimited", "-fvect-cost-model==unlimited"], ["-Os =4", "=4"], ["gvn x=", "x="], ["gvn  dce", ""]] as const) {
      const e = (() => { try { parsePlanKey(key); } catch (err) { return err; } })();
      expect(e).toBeInstanceOf(OpmError);
      expect((e as OpmError).code).toBe("invalid_argument");
      expect((e as OpmError).message).toContain(`\`${word}\``);
    }
  });
});
