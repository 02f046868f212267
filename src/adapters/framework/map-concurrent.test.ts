import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { mapConcurrent } from "./map-concurrent.js";

describe("mapConcurrent", () => {
  it("keeps item order and never runs more than `limit` at once", async () => {
    let running = 0, most = 0;
    const out = await mapConcurrent([30, 5, 20, 1, 10], async (ms, i) => {
      most = Math.max(most, ++running);
      await sleep(ms);
      running--;
      return i * 10;
    }, 2);
    expect(out).toEqual([0, 10, 20, 30, 40]);
    expect(most).toBe(2);
  });

  it("starts nothing after a failure and throws the lowest failing index", async () => {
    const started: number[] = [];
    const failed = mapConcurrent([0, 1, 2, 3, 4, 5], async (_, i) => {
      started.push(i);
      await sleep(i === 1 ? 20 : 1);
      if (i === 1 || i === 2) throw new Error(`item ${i}`);
    }, 2);
    await expect(failed).rejects.toThrow("item 1");
    expect(started).toEqual([0, 1, 2]);
  });
});
