import { describe, expect, it } from "vitest";
import type { PassOffer } from "../../kernel/plan/index.js";
import { CRANELIFT_BASELINE_PLAN, craneliftSearchMoves, craneliftSearchSpace } from "./cranelift-search-moves.js";

const catalog: PassOffer[] = [
  { name: "egraph_pass", level: "step", parameters: [], invariants: ["interface", "semantics"] },
  { name: "canonicalize_nans", level: "step", parameters: [], invariants: ["interface"] },
  { name: "is_pic", level: "param", parameters: [{ name: "is_pic", kind: "bool", default: "false" }], invariants: [] },
];

describe("craneliftSearchSpace", () => {
  it("gives Cranelift its own moves (steps and the settings that change code), after speed_and_size", () => {
    const space = craneliftSearchSpace(catalog, "code-size", 8);
    expect(space.prefix).toEqual(CRANELIFT_BASELINE_PLAN.steps);
    expect(space.alternatives).toEqual([]);
    expect(space.moves).toEqual(craneliftSearchMoves(catalog));
  });
});
