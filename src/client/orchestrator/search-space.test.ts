import { describe, expect, it } from "vitest";
import { craneliftSearchMoves } from "../../adapters/cranelift/cranelift-search-moves.js";
import type { PassOffer } from "../../adapters/framework/toolchain.js";
import { searchSpace, SIZE_PREFIX } from "./search-space.js";

const craneliftCatalog: PassOffer[] = [
  { name: "egraph_pass", level: "step", parameters: [], invariants: ["interface", "semantics"] },
  { name: "canonicalize_nans", level: "step", parameters: [], invariants: ["interface"] },
  { name: "is_pic", level: "param", parameters: [{ name: "is_pic", kind: "bool", default: "false" }], invariants: [] },
];

describe("searchSpace", () => {
  it("gives Cranelift its own moves (steps and the settings that change code), after speed_and_size", () => {
    const space = searchSpace("cranelift", craneliftCatalog, 8);
    expect(space.prefix).toEqual(SIZE_PREFIX.cranelift);
    expect(space.moves).toEqual(craneliftSearchMoves(craneliftCatalog));
  });

  it("gives LLVM every pass by name after default<Oz>", () => {
    const space = searchSpace("llvm", [
      { name: "instcombine", level: "function", parameters: [], invariants: [] },
      { name: "default", level: "opt-level", parameters: [], invariants: [] },
    ], 8);
    expect(space.prefix).toEqual([{ pass: "default", value: "Oz" }]);
    expect(space.moves).toEqual([{ pass: "instcombine" }]);
  });
});
