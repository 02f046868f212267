import { describe, expect, it } from "vitest";
import { runTool } from "../framework/run-tool.js";
import { findLlvmTools } from "./find-llvm-tools.js";
import { exclusionReason, isExcludedPass, LLVM_PASS_EXCLUSIONS } from "./llvm-pass-exclusions.js";
import { parsePrintPasses } from "./parse-print-passes.js";

const TARGET_CLASS = "no meaning for the target (x86-64 CPU code)";

describe("LLVM_PASS_EXCLUSIONS", () => {
  it("keeps GPU preparation passes out of an x86-64 search, each with its reason", () => {
    for (const name of ["structurizecfg", "fix-irreducible", "unify-loop-exits", "infer-address-spaces"]) {
      expect(isExcludedPass(name), name).toBe(true);
      expect(exclusionReason(name), name).toMatch(new RegExp(`^${TARGET_CLASS.replace(/[()]/g, "\\$&")}: \\S`));
    }
    expect(exclusionReason("structurizecfg")).toMatch(/lowerswitch/);
  });

  it("gives a reason for name patterns too, and none for an offered pass or an Object property", () => {
    expect(exclusionReason("print<domtree>")).toMatch(/printer/);
    expect(exclusionReason("no-op-function")).toMatch(/does nothing/);
    for (const name of ["instcombine", "lowerswitch", "constructor", "toString"]) expect(exclusionReason(name), name).toBeUndefined();
  });

  it("names only passes that opt 14 has, and none of them reaches the catalog", async () => {
    const r = await runTool(findLlvmTools().opt, ["-print-passes"], { timeoutMs: 10_000 });
    const listed = new Set(r.stdout.toString().split("\n").map((l) => l.trim().replace(/<.*$/, "")));
    for (const name of Object.keys(LLVM_PASS_EXCLUSIONS)) expect(listed.has(name), name).toBe(true);
    const offered = new Set(parsePrintPasses(r.stdout.toString()).map((o) => o.name));
    for (const name of Object.keys(LLVM_PASS_EXCLUSIONS)) expect(offered.has(name), name).toBe(false);
    expect(offered.has("lowerswitch")).toBe(true);
  });
});
