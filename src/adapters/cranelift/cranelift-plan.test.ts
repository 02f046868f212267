import { describe, expect, it } from "vitest";
import { isOpmError, type OpmError } from "../../kernel/errors/index.js";
import type { Plan } from "../../kernel/plan/index.js";
import { parseCraneliftPlan, renderCraneliftPlan, validateCraneliftPlan } from "./cranelift-plan.js";
import type { DriverCatalog } from "./driver-protocol.js";

/** A cut-down catalog in the driver's shape: two steps, one setting of each kind. */
const CATALOG: DriverCatalog = {
  steps: [
    { name: "egraph_pass", api: "Context::egraph_pass", description: "", prerequisites: [], semantics_preserving: true },
    { name: "remove_constant_phis", api: "Context::remove_constant_phis", description: "", prerequisites: [], semantics_preserving: true },
  ],
  codegen_pipeline: [],
  settings: [
    { name: "opt_level", group: "shared", kind: "enum", description: "", allowed: ["none", "speed", "speed_and_size"], default: "none" },
    { name: "has_avx", group: "x86_64", kind: "bool", description: "", allowed: [false, true], default: false },
    { name: "probestack_size_log2", group: "shared", kind: "num", description: "", allowed: { min: 0, max: 255 }, default: 12 },
    { name: "haswell", group: "x86_64", kind: "preset", description: "", allowed: [true], default: null },
  ],
};

function thrown(f: () => unknown): OpmError {
  try {
    f();
  } catch (err) {
    if (isOpmError(err)) return err;
    throw err;
  }
  throw new Error("expected an OpmError");
}

describe("renderCraneliftPlan / parseCraneliftPlan", () => {
  const plan: Plan = {
    steps: [
      { pass: "opt_level", value: "none" },
      { pass: "has_avx", value: "true" },
      { pass: "egraph_pass" },
      { pass: "remove_constant_phis" },
      { pass: "egraph_pass" },
    ],
  };

  it("renders settings first, then the steps in order", () => {
    expect(renderCraneliftPlan(plan)).toBe("opt_level=none, has_avx=true; egraph_pass, remove_constant_phis, egraph_pass");
    expect(renderCraneliftPlan({ steps: [{ pass: "egraph_pass" }, { pass: "opt_level", value: "none" }] })).toBe("opt_level=none; egraph_pass");
    expect(renderCraneliftPlan({ steps: [{ pass: "egraph_pass" }] })).toBe("egraph_pass");
    expect(renderCraneliftPlan({ steps: [{ pass: "opt_level", value: "speed" }] })).toBe("opt_level=speed");
    expect(renderCraneliftPlan({ steps: [] })).toBe("");
  });

  it("renders a setting given again with the same value once: the driver takes the same plan", () => {
    // What a random search draws: the prefix, then moves with replacement.
    const drawn: Plan = {
      steps: [
        { pass: "opt_level", value: "speed_and_size" }, { pass: "has_avx", value: "true" }, { pass: "egraph_pass" },
        { pass: "has_avx", value: "true" }, { pass: "egraph_pass" }, { pass: "has_avx", value: "true" },
      ],
    };
    const text = renderCraneliftPlan(drawn);
    expect(text).toBe("opt_level=speed_and_size, has_avx=true; egraph_pass, egraph_pass");
    expect(validateCraneliftPlan(parseCraneliftPlan(text), CATALOG)).toEqual(validateCraneliftPlan(drawn, CATALOG));
    // Two values of one setting are kept, for the validator to refuse.
    expect(renderCraneliftPlan({ steps: [{ pass: "has_avx", value: "true" }, { pass: "has_avx", value: "false" }] })).toBe("has_avx=true, has_avx=false");
  });

  it("round-trips every settings-first plan", () => {
    for (const p of [plan, { steps: [] }, { steps: [{ pass: "egraph_pass" }] }, { steps: [{ pass: "opt_level", value: "speed_and_size" }] }]) {
      expect(parseCraneliftPlan(renderCraneliftPlan(p))).toEqual(p);
    }
  });

  it("accepts either separator and spaces", () => {
    expect(parseCraneliftPlan(" opt_level = none ;egraph_pass,remove_constant_phis ")).toEqual({
      steps: [{ pass: "opt_level", value: "none" }, { pass: "egraph_pass" }, { pass: "remove_constant_phis" }],
    });
  });

  it("names the malformed item", () => {
    const e1 = thrown(() => parseCraneliftPlan("egraph_pass,,legalize"));
    expect([e1.code, e1.field]).toEqual(["invalid_argument", "plan"]);
    expect(e1.message).toContain("item 1");
    expect(thrown(() => parseCraneliftPlan("opt_level=")).message).toContain("setting value ``");
    expect(thrown(() => parseCraneliftPlan("egraph pass")).message).toContain("`egraph pass`");
  });
});

describe("validateCraneliftPlan", () => {
  it("splits a plan into driver steps and typed settings", () => {
    const parsed = parseCraneliftPlan("opt_level=none, has_avx=false, probestack_size_log2=16, haswell=true; egraph_pass, remove_constant_phis");
    expect(validateCraneliftPlan(parsed, CATALOG)).toEqual({
      steps: ["egraph_pass", "remove_constant_phis"],
      settings: { opt_level: "none", has_avx: false, probestack_size_log2: 16, haswell: true },
    });
  });

  it("accepts a setting repeated with the same value", () => {
    expect(validateCraneliftPlan(parseCraneliftPlan("has_avx=true; egraph_pass, has_avx=true"), CATALOG)).toEqual({
      steps: ["egraph_pass"],
      settings: { has_avx: true },
    });
  });

  it.each([
    ["licm", "unknown Cranelift step `licm`"],
    ["opt_level", "`opt_level` is a setting and needs a value (allowed: none, speed, speed_and_size)"],
    ["egraph_pass=1", "`egraph_pass` is a step and takes no value"],
    ["colour=red", "unknown Cranelift setting `colour`"],
    ["opt_level=fast", "bad value `fast` for setting `opt_level` (allowed: none, speed, speed_and_size)"],
    ["has_avx=1", "bad value `1` for setting `has_avx`"],
    ["probestack_size_log2=256", "an integer in [0, 255]"],
    ["haswell=false", "bad value `false` for setting `haswell`"],
    ["opt_level=none, opt_level=speed", "already given by step 0 as `none`"],
  ])("rejects `%s`", (text, why) => {
    const e = thrown(() => validateCraneliftPlan(parseCraneliftPlan(text), CATALOG));
    expect(e.code).toBe("invalid_argument");
    expect(e.field).toMatch(/^plan\.steps\[\d\]$/);
    expect(e.message).toContain(why);
  });
});
