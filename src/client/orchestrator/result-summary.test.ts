import { describe, expect, it } from "vitest";
import { OBJECTIVES } from "../../kernel/plan/index.js";
import { METRIC_UNITS, percentChange, tallyFailures } from "./result-summary.js";

describe("percentChange", () => {
  it("is signed with one decimal, and 0.0% when nothing changed or under 0.05%", () => {
    expect(percentChange(138, 131)).toBe("-5.1%");
    expect(percentChange(201, 193)).toBe("-4.0%");
    expect(percentChange(100, 112)).toBe("+12.0%");
    expect(percentChange(138, 138)).toBe("0.0%");
    expect(percentChange(10_000, 9_996)).toBe("0.0%");
    expect(percentChange(10_000, 9_990)).toBe("-0.1%");
    expect(percentChange(10_000, 10_010)).toBe("+0.1%");
  });
});

describe("tallyFailures", () => {
  it("counts failures by code in order of first appearance, with the first message of each", () => {
    const t = tallyFailures([
      { code: "verification_failed", message: "rejected by layer semantics" },
      { code: "compiler_failed", message: "opt crashed" },
      { code: "verification_failed", message: "rejected by layer interface" },
      { code: "verification_failed", message: "rejected by layer metric" },
    ]);
    expect(t.byReason).toEqual({ verification_failed: 3, compiler_failed: 1 });
    expect(Object.keys(t.byReason)).toEqual(["verification_failed", "compiler_failed"]);
    expect(t.firstMessages).toEqual({ verification_failed: "rejected by layer semantics", compiler_failed: "opt crashed" });
    expect(tallyFailures([])).toEqual({ byReason: {}, firstMessages: {} });
  });
});

describe("METRIC_UNITS", () => {
  it("names the unit of every objective", () => {
    for (const o of OBJECTIVES) expect(METRIC_UNITS[o]).toMatch(/\S/);
  });
});
