import { describe, expect, it } from "vitest";
import { SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { Plan } from "../../kernel/plan/index.js";
import { corroborateBest } from "./corroborate-best.js";
import type { SearchResult } from "./run-search.js";

const plan = (pass: string): Plan => ({ steps: [{ pass }] });

/** A search where `liar` reported 50 for `b` (really 95), `c` was refused, `d` failed. */
function search(): SearchResult {
  const rows: Array<[string, number | undefined, string, SignalStatus]> = [
    ["a", 100, "honest", SignalStatus.ACCEPTED],
    ["b", 50, "liar", SignalStatus.ACCEPTED],
    ["c", 10, "caught", SignalStatus.REFUSED],
    ["d", undefined, "honest", SignalStatus.UNSPECIFIED],
    ["e", 90, "honest", SignalStatus.PROVISIONAL],
  ];
  return {
    history: rows.map(([p, value]) => ({ plan: plan(p), value })),
    best: undefined,
    jobs: rows.map(([p, , adapter, status]) => ({ jobId: `job-${p}`, signalId: `signal-${p}`, adapter, status })),
    failures: [],
  };
}
const truth: Record<string, number> = { a: 100, b: 95, c: 10, e: 90 };
const measure = (p: Plan) => ({ value: truth[p.steps[0]!.pass]!, outputDigest: `out-${p.steps[0]!.pass}` });

describe("corroborateBest", () => {
  it("reports the best result the participant reproduces; a lie is evidence, never the best; refused results are skipped", async () => {
    const tried: string[] = [];
    const r = await corroborateBest(search(), async (p) => (tried.push(p.steps[0]!.pass), measure(p)));
    expect(r.index).toBe(4); // e: 90, provisional but reproduced here
    expect(tried).toEqual(["b", "e"]);
    expect(r.unreproduced).toEqual([
      { jobId: "job-b", signalId: "signal-b", adapter: "liar", plan: plan("b"), claimed: 50, measured: 95, outputDigest: "out-b", checkJobId: "" },
    ]);
  });

  it("gives no best when nothing reproduces within the tries", async () => {
    const r = await corroborateBest(search(), async () => ({ value: 1, outputDigest: "out" }), 2);
    expect(r.index).toBeUndefined();
    expect(r.unreproduced.map((u) => u.jobId)).toEqual(["job-b", "job-e"]);
  });
});
