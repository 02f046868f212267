import { describe, expect, it } from "vitest";
import { judgeSpotCheck, type CheckOutcome } from "./judge-spot-check.js";

/** An answer by `adapter`: an output digest made of `output`, and its metrics. */
function answer(adapter: string, output: string, achieved: number, baseline = 100): CheckOutcome {
  return { jobId: `job-${adapter}`, adapter, signalId: `signal-${adapter}`, outputDigest: output.repeat(64).slice(0, 64), achieved, baseline };
}

describe("judgeSpotCheck", () => {
  const honest = answer("a", "1", 42);

  it("accepts two identical answers", () => {
    const check = answer("b", "1", 42);
    expect(judgeSpotCheck([honest, check])).toEqual({ kind: "agreed", accepted: [honest, check] });
  });

  it("asks for a tie-break when two answers differ in output, metric or baseline", () => {
    for (const other of [answer("b", "2", 42), answer("b", "1", 41), answer("b", "1", 42, 99)]) {
      expect(judgeSpotCheck([honest, other])).toEqual({ kind: "tie_break" });
    }
  });

  it("counts a verifier's rejection as an answer that disagrees with any output", () => {
    const rejection = (adapter: string): CheckOutcome => ({ ...answer(adapter, "0", Number.NaN), signalId: "", rejected: "transform rejected by layer semantics" });
    const [b, c] = [rejection("b"), rejection("c")];
    expect(judgeSpotCheck([honest, b])).toEqual({ kind: "tie_break" });
    expect(judgeSpotCheck([honest, b, c])).toEqual({ kind: "majority", accepted: [b, c], refused: honest });
    const agreeing = answer("c", "1", 42);
    expect(judgeSpotCheck([honest, b, agreeing])).toEqual({ kind: "majority", accepted: [honest, agreeing], refused: b });
  });

  it("refuses the odd one out of three, wherever it stands", () => {
    const liar = answer("liar", "1", 30);
    const b = answer("b", "1", 42);
    const c = answer("c", "1", 42);
    expect(judgeSpotCheck([liar, b, c])).toEqual({ kind: "majority", accepted: [b, c], refused: liar });
    expect(judgeSpotCheck([b, liar, c])).toEqual({ kind: "majority", accepted: [b, c], refused: liar });
    expect(judgeSpotCheck([b, c, liar])).toEqual({ kind: "majority", accepted: [b, c], refused: liar });
  });

  it("refuses all three and quarantines nobody when all three differ", () => {
    const all = [answer("a", "1", 42), answer("b", "2", 42), answer("c", "1", 40)];
    expect(judgeSpotCheck(all)).toEqual({ kind: "split", refused: all });
  });

  it("accepts three identical answers", () => {
    const all = [answer("a", "1", 42), answer("b", "1", 42), answer("c", "1", 42)];
    expect(judgeSpotCheck(all)).toEqual({ kind: "agreed", accepted: all });
  });

  it("judges only two or three answers", () => {
    expect(() => judgeSpotCheck([honest])).toThrow("2 or 3 answers, got 1");
  });
});
