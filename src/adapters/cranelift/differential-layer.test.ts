import { describe, expect, it } from "vitest";
import { differentialToLayer } from "./differential-layer.js";
import type { DifferentialFunction, DriverDifferential } from "./driver-protocol.js";

const fn = (i: number, symbol: string, status: DifferentialFunction["status"], reason?: string): DifferentialFunction => ({
  name: symbol, clif_name: `u0:${i}`, symbol, status, compared_runs: status === "compared" ? 4 : 0, not_covered_runs: status === "compared" ? 0 : 4,
  ...(reason !== undefined ? { reason } : {}), runs: [],
});

function response(functions: DifferentialFunction[]): DriverDifferential {
  const compared = functions.filter((f) => f.status === "compared");
  return {
    format: "wasm", steps: [], include_codegen_pipeline: true, same: true,
    sandbox: { memory_bytes: 262144, stack_pointer: 262144, data_end: 0, arena: [0, 0], globals: 1, imports: [], skipped_data_segments: 0, seed: 1, probes: 8, fuel: 200000, total_fuel: 30000000, stubs: [] },
    totals: {
      functions: functions.length, compared_functions: compared.length, differing_functions: 0, not_covered_functions: functions.length - compared.length,
      compared_runs: compared.length * 4, not_covered_runs: (functions.length - compared.length) * 4, fuel_used: 1000,
    },
    functions,
  };
}

const noStub = (i: number, name: string) => `BEFORE cannot run in the sandbox: calls import env.${name} (u0:${i}), which has no stub`;

describe("differentialToLayer", () => {
  it("accepts, naming the compared functions, the ones not covered and the imports the sandbox lacks", () => {
    const layer = differentialToLayer(response([
      fn(3, "sum", "compared"), fn(4, "hyp", "compared"), fn(5, "read_input", "not_covered", noStub(0, "fopen")), fn(6, "main", "not_covered", noStub(1, "malloc")),
    ]));
    expect(layer.ok).toBe(true);
    expect(layer.evidence).toMatch(/^2 of 4 function\(s\) compared in Cranelift's interpreter: 8 run\(s\) agree/);
    expect(layer.evidence).toContain("; compared: sum, hyp; not covered: u0:5 (read_input): BEFORE cannot run in the sandbox: calls import env.fopen (u0:0), which has no stub; u0:6 (main)");
    expect(layer.evidence).toMatch(/; imports without a sandbox stub: env\.fopen, env\.malloc$/);
  });

  it("is undecided when no function could be compared, listing every function (up to 20) and why", () => {
    const functions = Array.from({ length: 23 }, (_, i) => fn(i + 2, `f${i}`, "not_covered", i % 2 === 0 ? noStub(0, "malloc") : "BEFORE did not finish within 200000 instructions"));
    const layer = differentialToLayer(response(functions));
    expect([layer.ok, layer.decided]).toEqual([false, false]);
    expect(layer.evidence).toContain("undecided: none of the 23 function(s) could be compared in Cranelift's interpreter; not covered: u0:2 (f0): BEFORE cannot run in the sandbox: calls import env.malloc");
    expect(layer.evidence).toContain("u0:21 (f19): BEFORE did not finish within 200000 instructions; and 3 more; imports without a sandbox stub: env.malloc");
    expect(layer.evidence).toContain("8 probe(s) per function");
  });
});
