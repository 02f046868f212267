import { describe, expect, it } from "vitest";
import { ed25519FromSeed } from "../../kernel/codec/index.js";
import { isSpotChecked, spotCheckKeyOf } from "./spot-check-selection.js";

const key = spotCheckKeyOf(ed25519FromSeed(new Uint8Array(32).fill(7)));
const ids = Array.from({ length: 20_000 }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`);

describe("spot-check selection", () => {
  it("derives the same key from the same node key, and another from another", () => {
    expect(spotCheckKeyOf(ed25519FromSeed(new Uint8Array(32).fill(7)))).toEqual(key);
    expect(spotCheckKeyOf(ed25519FromSeed(new Uint8Array(32).fill(8)))).not.toEqual(key);
    expect(key).toHaveLength(32);
  });

  it("checks nothing at 0 and everything at 1", () => {
    expect(ids.some((id) => isSpotChecked(key, id, 0))).toBe(false);
    expect(ids.every((id) => isSpotChecked(key, id, 1))).toBe(true);
  });

  it("selects about the fraction asked, deterministically, and nested: what 5% selects, 10% selects too", () => {
    const at5 = ids.filter((id) => isSpotChecked(key, id, 0.05));
    // 20 000 draws at p = 0.05: the standard deviation is about 31, so ±150 is ~5 sigma.
    expect(Math.abs(at5.length - 1000)).toBeLessThan(150);
    expect(ids.filter((id) => isSpotChecked(key, id, 0.05))).toEqual(at5);
    expect(at5.every((id) => isSpotChecked(key, id, 0.1))).toBe(true);
  });

  it("depends on the key: without it, an adapter cannot tell which of its jobs are checked", () => {
    const other = spotCheckKeyOf(ed25519FromSeed(new Uint8Array(32).fill(9)));
    const a = ids.filter((id) => isSpotChecked(key, id, 0.5));
    const b = new Set(ids.filter((id) => isSpotChecked(other, id, 0.5)));
    const common = a.filter((id) => b.has(id)).length;
    // Independent selections at 0.5 share about a quarter of the ids.
    expect(Math.abs(common - ids.length / 4)).toBeLessThan(500);
  });
});
