import { describe, expect, it } from "vitest";
import { llvmSearchSpace } from "./llvm-search-space.js";

describe("llvmSearchSpace", () => {
  it("gives every pass by name after default<Oz>, never a whole level", () => {
    const space = llvmSearchSpace([
      { name: "instcombine", level: "function", parameters: [], invariants: [] },
      { name: "default", level: "opt-level", parameters: [], invariants: [] },
      { name: "inline", level: "cgscc", parameters: [], invariants: [] },
    ], "ir-instcount", 8);
    expect(space).toEqual({ prefix: [{ pass: "default", value: "Oz" }], alternatives: [], moves: [{ pass: "instcombine" }, { pass: "inline" }], maxSteps: 8 });
  });
});
