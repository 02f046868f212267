import { describe, expect, it } from "vitest";
import { seededRandom } from "../plan/index.js";
import { selectPlans, type ScoreMatrix } from "./select-plans.js";

/** Plain greedy, re-evaluating every candidate each round: the reference lazy evaluation must equal. */
function naiveGreedy({ candidates, scores }: ScoreMatrix, max: number): Array<{ index: number; gain: number }> {
  const covered = new Array<number>(scores[0]?.length ?? 0).fill(0);
  const chosen: Array<{ index: number; gain: number }> = [];
  while (chosen.length < max) {
    let best: { index: number; gain: number } | undefined;
    for (let c = 0; c < candidates.length; c++) {
      const gain = scores[c]!.reduce((g, s, p) => g + Math.max(0, s - covered[p]!), 0);
      if (best === undefined || gain > best.gain || (gain === best.gain && candidates[c]! < candidates[best.index]!)) best = { index: c, gain };
    }
    if (best === undefined || best.gain <= 0) break;
    chosen.push(best);
    scores[best.index]!.forEach((s, p) => (covered[p] = Math.max(covered[p]!, s)));
  }
  return chosen;
}

/** Plain layered greedy: plain greedy to saturation, then again on the candidates left, until `max` or nothing scores. */
function naiveLayers(matrix: ScoreMatrix, max: number): Array<{ index: number; gain: number }> {
  const out: Array<{ index: number; gain: number }> = [];
  const left = matrix.candidates.map((_, c) => c);
  while (out.length < max) {
    const sub: ScoreMatrix = { candidates: left.map((c) => matrix.candidates[c]!), scores: left.map((c) => [...matrix.scores[c]!]) };
    const layer = naiveGreedy(sub, max - out.length).map((s) => ({ index: left[s.index]!, gain: s.gain }));
    if (layer.length === 0) break;
    out.push(...layer);
    for (const s of layer) left.splice(left.indexOf(s.index), 1);
  }
  return out;
}

describe("selectPlans", () => {
  it("finds the known optimum of a hand-made matrix", () => {
    // Four problems. A covers p0 and p1 fully; B covers p2 and p3 fully; C covers a bit of
    // everything (0.6 each: the best single plan, 2.4 > 2); D is dominated by A.
    const matrix: ScoreMatrix = {
      candidates: ["A", "B", "C", "D"],
      scores: [[1, 1, 0, 0], [0, 0, 1, 1], [0.6, 0.6, 0.6, 0.6], [0.5, 0.5, 0, 0]],
    };
    expect(selectPlans(matrix, 1)).toEqual([{ index: 2, gain: 2.4 }]);
    // Two plans: greedy takes C first, then A or B (gain 0.8 each, A by key); the optimum {A, B} = 4
    // is reached at three plans, where the coverage is 4 as well.
    const two = selectPlans(matrix, 2);
    expect(two.map((s) => matrix.candidates[s.index])).toEqual(["C", "A"]);
    expect(two[1]!.gain).toBeCloseTo(0.8, 12);
    const all = selectPlans(matrix, 10);
    expect(all.map((s) => matrix.candidates[s.index])).toEqual(["C", "A", "B"]);
    expect(all.reduce((s, x) => s + x.gain, 0)).toBeCloseTo(4, 12);
  });

  it("stops when nothing adds anything, and breaks ties by key", () => {
    const matrix: ScoreMatrix = { candidates: ["z", "b", "a"], scores: [[1, 0], [1, 0], [0, 0]] };
    expect(selectPlans(matrix, 5)).toEqual([{ index: 1, gain: 1 }]);
    expect(selectPlans({ candidates: [], scores: [] }, 3)).toEqual([]);
  });

  it("equals plain greedy on random matrices (lazy evaluation changes nothing)", () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 30), problems = 1 + Math.floor(random() * 12);
      // Coarse values make ties common.
      const scores = Array.from({ length: n }, () => Array.from({ length: problems }, () => (random() < 0.5 ? 0 : Math.floor(random() * 4) / 4)));
      const candidates = Array.from({ length: n }, (_, i) => `plan-${String((i * 7919) % 1000).padStart(3, "0")}-${i}`);
      const max = 1 + Math.floor(random() * 8);
      expect(selectPlans({ candidates, scores }, max)).toEqual(naiveGreedy({ candidates, scores }, max));
    }
  });

  it("past saturation, chooses the next layer: the runner-ups, up to max", () => {
    // A and B saturate the coverage (every problem at 1). Then the residual: C (0.6 on all four)
    // beats D (0.5 on two), and D comes last; E scores nowhere and never enters.
    const matrix: ScoreMatrix = {
      candidates: ["A", "B", "C", "D", "E"],
      scores: [[1, 1, 0, 0], [0, 0, 1, 1], [0.6, 0.6, 0.6, 0.6], [0.5, 0.5, 0, 0], [0, 0, 0, 0]],
    };
    expect(selectPlans(matrix, 10).map((s) => matrix.candidates[s.index])).toEqual(["C", "A", "B"]); // stops at saturation by default
    const grown = selectPlans(matrix, 10, { afterSaturation: "next-layer" });
    expect(grown.map((s) => matrix.candidates[s.index])).toEqual(["C", "A", "B", "D"]);
    expect(grown[3]!.gain).toBeCloseTo(1, 12); // D alone in the second layer: 0.5 + 0.5
    expect(selectPlans(matrix, 2, { afterSaturation: "next-layer" })).toEqual(selectPlans(matrix, 2)); // before saturation nothing changes
    expect(selectPlans(matrix, 3, { afterSaturation: "next-layer" })).toHaveLength(3);
  });

  it("equals plain layered greedy on random matrices", () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 30), problems = 1 + Math.floor(random() * 12);
      const scores = Array.from({ length: n }, () => Array.from({ length: problems }, () => (random() < 0.6 ? 0 : Math.floor(random() * 4) / 4)));
      const candidates = Array.from({ length: n }, (_, i) => `plan-${String((i * 7919) % 1000).padStart(3, "0")}-${i}`);
      const max = 1 + Math.floor(random() * 30);
      expect(selectPlans({ candidates, scores }, max, { afterSaturation: "next-layer" })).toEqual(naiveLayers({ candidates, scores }, max));
    }
  });
});
