import { describe, expect, it } from "vitest";
import { AucBandit } from "./auc-bandit.js";

describe("AucBandit", () => {
  it("tries every arm once first, in the order listed, spreading a batch with pending uses", () => {
    const bandit = new AucBandit(["a", "b", "c"]);
    const pending = new Map<string, number>();
    const chosen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const arm = bandit.choose(pending)!;
      chosen.push(arm);
      pending.set(arm, (pending.get(arm) ?? 0) + 1);
    }
    expect(chosen).toEqual(["a", "b", "c"]);
    expect(bandit.score("a")).toBe(Infinity);
  });

  it("credits by the area under the curve of successes: recent successes count more", () => {
    const recent = new AucBandit(["x"]);
    recent.record("x", false);
    recent.record("x", true);
    const old = new AucBandit(["x"]);
    old.record("x", true);
    old.record("x", false);
    expect(recent.exploitation("x")).toBeCloseTo(2 / 3, 12); // 2·2 / (2·3)
    expect(old.exploitation("x")).toBeCloseTo(1 / 3, 12); // 2·1 / (2·3)
    expect(new AucBandit(["x"]).exploitation("x")).toBe(0);
  });

  it("chooses the arm that has been finding new bests, and says so in its tally", () => {
    const bandit = new AucBandit(["random", "local"]);
    for (let i = 0; i < 6; i++) {
      bandit.record("random", false);
      bandit.record("local", i % 2 === 1);
    }
    expect(bandit.choose()).toBe("local");
    expect(bandit.choose(new Map(), new Set(["local"]))).toBe("random");
    expect(bandit.choose(new Map(), new Set(["local", "random"]))).toBeUndefined();
    expect(bandit.tally()).toEqual({ random: { uses: 6, successes: 0 }, local: { uses: 6, successes: 3 } });
  });

  it("forgets uses older than its window", () => {
    const bandit = new AucBandit(["a", "b"], { window: 4 });
    bandit.record("a", true);
    for (let i = 0; i < 4; i++) bandit.record("b", false);
    expect(bandit.tally()).toEqual({ a: { uses: 0, successes: 0 }, b: { uses: 4, successes: 0 } });
    expect(bandit.choose()).toBe("a"); // unused again: explored first
  });
});
