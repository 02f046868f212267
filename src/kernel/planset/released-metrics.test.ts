import { describe, expect, it } from "vitest";
import { releasedMetrics } from "./released-metrics.js";

describe("releasedMetrics", () => {
  it("reads a release inside its clamp range as it is", () => {
    expect(releasedMetrics(1234n, 0n, 5000n)).toEqual({ baseline: 10_000, achieved: 8766 });
  });
  it("clamps noise that left the range (post-processing) instead of dropping or trusting it", () => {
    expect(releasedMetrics(47_851n, 0n, 5000n)).toEqual({ baseline: 10_000, achieved: 5000 });
    expect(releasedMetrics(-19_851n, 0n, 5000n)).toEqual({ baseline: 10_000, achieved: 10_000 });
  });
});
