import { describe, expect, it } from "vitest";
import { parseGccDescriptions, parseOptimizerFlags, parseParams } from "./parse-gcc-help.js";

const Q_OPTIMIZERS = `The following options control optimizations:
  -O<number>                  \t\t
  -Os                         \t\t
  -faggressive-loop-optimizations \t[enabled]
  -falign-functions           \t\t[disabled]
  -falign-functions=          \t\t
  -flifetime-dse=<0,2>        \t\t2
  -fvect-cost-model=[unlimited|dynamic|cheap|very-cheap] \tvery-cheap
  -gstatement-frontiers       \t\t[disabled]
`;

const Q_PARAMS = `The following options control parameters:
  --param=align-threshold=<1,65536> \t\t100
  --param=max-inline-insns-auto= \t15
  --param=prefetch-minimum-stride= \t-1
  --param=evrp-mode=          \t\tranger
`;

const PARAM_DOCS = `The following options control parameters:
  --param=align-threshold=<1,65536> Select fraction of the maximal frequency of
                              executions of basic block.
  --param=evrp-mode=          --param=evrp-mode=[legacy|ranger|legacy-
                              first|ranger-first] Specifies the mode Early VRP
                              should operate in.
`;

describe("parseOptimizerFlags", () => {
  const offers = parseOptimizerFlags(Q_OPTIMIZERS, new Map([["-falign-functions", "Align the start of functions."]]));
  const byName = new Map(offers.map((c) => [c.offer.name, c]));

  it("expands -O<number> and keeps -Os as levels", () => {
    expect(offers.filter((c) => c.offer.level === "opt-level").map((c) => c.offer.name)).toEqual(["-O0", "-O1", "-O2", "-O3", "-Os"]);
  });
  it("reads on/off flags with their state at -Os", () => {
    expect(byName.get("-faggressive-loop-optimizations")?.offer.parameters).toEqual([{ name: "enabled", kind: "bool", default: "on" }]);
    expect(byName.get("-falign-functions")?.offer.description).toBe("Align the start of functions.");
    expect(byName.get("-faggressive-loop-optimizations")?.testArgs).toEqual(["-faggressive-loop-optimizations", "-fno-aggressive-loop-optimizations"]);
  });
  it("reads valued flags: range, enum, free text", () => {
    expect(byName.get("-flifetime-dse=")?.offer.parameters[0]).toEqual({ name: "value", kind: "int", min: 0, max: 2, default: "2" });
    expect(byName.get("-fvect-cost-model=")?.offer.parameters[0]?.values).toEqual(["unlimited", "dynamic", "cheap", "very-cheap"]);
    expect(byName.get("-falign-functions=")?.offer.parameters[0]?.kind).toBe("string");
    expect(byName.get("-flifetime-dse=")?.testArgs).toEqual(["-flifetime-dse=2"]);
  });
  it("skips non -f options", () => expect(byName.has("-gstatement-frontiers")).toBe(false));
});

describe("parseParams", () => {
  const offers = parseParams(Q_PARAMS, parseGccDescriptions(PARAM_DOCS));
  const byName = new Map(offers.map((c) => [c.offer.name, c]));
  it("takes GCC's printed range, else [0, 2^31-1]", () => {
    expect(byName.get("align-threshold")?.offer.parameters[0]).toEqual({ name: "value", kind: "int", min: 1, max: 65536, default: "100" });
    expect(byName.get("max-inline-insns-auto")?.offer.parameters[0]).toEqual({ name: "value", kind: "int", min: 0, max: 2147483647, default: "15" });
  });
  it("drops the internal -1 default and tests a valid value instead", () => {
    expect(byName.get("prefetch-minimum-stride")?.offer.parameters[0]?.default).toBeUndefined();
    expect(byName.get("prefetch-minimum-stride")?.testArgs).toEqual(["--param=prefetch-minimum-stride=1"]);
  });
  it("reads enum values from the wrapped description", () => {
    const evrp = byName.get("evrp-mode")!;
    expect(evrp.offer.parameters[0]).toEqual({ name: "value", kind: "enum", values: ["legacy", "ranger", "legacy-first", "ranger-first"], default: "ranger" });
    expect(evrp.offer.description).toBe("Specifies the mode Early VRP should operate in.");
    expect(byName.get("align-threshold")?.offer.description).toBe("Select fraction of the maximal frequency of executions of basic block.");
  });
});
