import { describe, expect, it } from "vitest";
import type { PassOffer } from "../../kernel/plan/index.js";
import { craneliftSearchMoves, hostCpuFlags } from "./cranelift-search-moves.js";

const offer = (name: string, level: PassOffer["level"], invariants: string[] = []): PassOffer => ({ name, level, parameters: [], invariants, description: "" });
const CATALOG: PassOffer[] = [
  offer("egraph_pass", "step", ["semantics", "interface"]),
  offer("canonicalize_nans", "step", ["interface"]),
  offer("opt_level", "opt-level", ["semantics", "interface"]),
  offer("is_pic", "param"),
  offer("has_bmi1", "param"),
  offer("has_popcnt", "param"),
];

describe("craneliftSearchMoves", () => {
  it("offers semantics-preserving steps, is_pic and only the CPU features the machine has", () => {
    expect(craneliftSearchMoves(CATALOG, new Set(["bmi1", "avx2"]))).toEqual([
      { pass: "egraph_pass" }, { pass: "is_pic", value: "true" }, { pass: "has_bmi1", value: "true" },
    ]);
    expect(craneliftSearchMoves(CATALOG, new Set())).toEqual([{ pass: "egraph_pass" }, { pass: "is_pic", value: "true" }]);
  });

  it("leaves out settings the catalog does not offer", () => {
    expect(craneliftSearchMoves(CATALOG.filter((o) => o.name !== "is_pic"), new Set(["popcnt", "bmi2"]))).toEqual([
      { pass: "egraph_pass" }, { pass: "has_popcnt", value: "true" },
    ]);
  });

  it("reads this machine's CPU flags (none off x86-64)", () => {
    const flags = hostCpuFlags();
    if (process.arch !== "x64") expect(flags.size).toBe(0);
    else if (process.platform === "linux") expect(flags.has("sse2")).toBe(true);
  });
});
