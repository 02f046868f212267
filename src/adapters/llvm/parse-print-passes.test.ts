import { describe, expect, it } from "vitest";
import { parseOptHelp, parsePassParameters, parsePrintPasses } from "./parse-print-passes.js";

const SAMPLE = `Module passes:
  globalopt
  print
  debugify
Module passes with params:
  loop-extract<single>
Module analyses:
  callgraph
CGSCC passes:
  argpromotion
CGSCC passes with params:
  inline<only-mandatory>
Function passes:
  instcombine
  print<domtree>
  verify<loops>
  view-cfg
Function passes with params:
  loop-unroll<O0;O1;O2;O3;full-unroll-max=N;no-partial;partial>
Function analyses:
  domtree
LoopNest passes:
  loop-flatten
Loop passes:
  licm
  no-op-loop
Loop analyses:
  ddg
`;

describe("parsePrintPasses", () => {
  const offers = parsePrintPasses(SAMPLE, new Map([["instcombine", "Combine redundant instructions"]]));
  it("keeps transform passes with their section's level, drops analyses, printers and exclusions", () => {
    expect(offers.map((o) => [o.name, o.level])).toEqual([
      ["globalopt", "module"], ["loop-extract", "module"], ["argpromotion", "cgscc"], ["inline", "cgscc"],
      ["instcombine", "function"], ["loop-unroll", "function"], ["loop-flatten", "loop"], ["licm", "loop"],
      ["default", "opt-level"],
    ]);
    expect(offers.find((o) => o.name === "instcombine")?.description).toBe("Combine redundant instructions");
  });
});

describe("parsePassParameters", () => {
  it("turns no-X;X into a bool, X=N into an int, O-levels into an enum", () => {
    expect(parsePassParameters("O0;O1;O2;O3;full-unroll-max=N;no-partial;partial")).toEqual([
      { name: "opt-level", kind: "enum", values: ["O0", "O1", "O2", "O3"] },
      { name: "full-unroll-max", kind: "int", min: 0, max: 2147483647 },
      { name: "partial", kind: "bool" },
    ]);
    expect(parsePassParameters("only-mandatory")).toEqual([{ name: "only-mandatory", kind: "bool" }]);
  });
});

describe("parseOptHelp", () => {
  it("reads pass descriptions", () => {
    const map = parseOptHelp("      --gvn-sink                         - Early GVN sinking of Expressions\n      --sroa      - Scalar Replacement Of Aggregates\n");
    expect(map.get("gvn-sink")).toBe("Early GVN sinking of Expressions");
    expect(map.get("sroa")).toBe("Scalar Replacement Of Aggregates");
  });
});
