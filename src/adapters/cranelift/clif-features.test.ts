import { describe, expect, it } from "vitest";
import { clifFeatures, countClifOpcodes } from "./clif-features.js";

/** The layout of the driver's `lower` output: preamble, source locations, aliases, comments. */
const CLIF = `function u0:2(i32, i64 vmctx) -> i32 fast {
    gv0 = vmctx
    gv2 = load.i64 notrap aligned readonly gv0
    sig0 = (i32, i64 vmctx) -> i32 fast
    fn0 = u0:5 sig0

                                block0(v0: i32, v1: i64):
@02f6                               v3 = iconst.i32 0
@02f8                               v5 = load.i32 notrap aligned table v1+8
                                    v35 -> v5
@0308                               v7 = isub v5, v3  ; v3 = 0
@0351                               v36 = call fn0(v7, v1)
@0352                               brif v36, block1, block2(v3)  ; v3 = 0

                                block1:
@0360                               trap user1

                                block2(v8: i32):
@036e                               return v8
}
function %pair(i64) -> i64, i64 {
block0(v0: i64):
    v1, v2 = isplit v0
    store v1, v0
    return v0, v0
}
`;

describe("countClifOpcodes", () => {
  it("counts instruction lines inside blocks only, by opcode without type suffix", () => {
    const c = countClifOpcodes(CLIF);
    expect([c.functions, c.blocks, c.instructions]).toEqual([2, 4, 10]);
    expect(Object.fromEntries(c.opcodes)).toEqual({
      iconst: 1, load: 1, isub: 1, call: 1, brif: 1, trap: 1, return: 2, isplit: 1, store: 1,
    });
  });
});

describe("clifFeatures", () => {
  it("names counts clif.<opcode> plus totals, sorted", () => {
    const f = clifFeatures([CLIF]);
    expect(f["clif.instructions"]).toBe(10);
    expect(f["clif.functions"]).toBe(2);
    expect(f["clif.blocks"]).toBe(4);
    expect(f["clif.return"]).toBe(2);
    expect(f["clif.gv0"]).toBeUndefined();
    expect(Object.keys(f)).toEqual([...Object.keys(f)].sort());
  });
});
