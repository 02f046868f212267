import { describe, expect, it } from "vitest";
import { LruMap } from "./lru-map.js";

describe("LruMap", () => {
  it("drops the least recently used entry past its capacity", () => {
    const m = new LruMap<string, number>(2);
    m.set("a", 1).set("b", 2);
    expect(m.get("a")).toBe(1); // a is now newer than b
    m.set("c", 3);
    expect([...m.keys()]).toEqual(["a", "c"]);
    expect(m.get("b")).toBeUndefined();
    m.set("a", 4); // overwriting refreshes too
    m.set("d", 5);
    expect([...m.entries()]).toEqual([["a", 4], ["d", 5]]);
    expect(m.size).toBe(2);
  });

  it("is a Map (what the verifiers take) and refuses a useless capacity", () => {
    const m: Map<string, unknown> = new LruMap(1);
    m.set("x", 1);
    expect(m.has("x")).toBe(true);
    expect(() => new LruMap(0)).toThrow(RangeError);
  });
});
