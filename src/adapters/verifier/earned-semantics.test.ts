import { describe, expect, it } from "vitest";
import { enteredFunctions } from "./coverage.js";
import { judgeCoverage, type ChangedFunction } from "./earned-semantics.js";

const fn = (name: string, instructions = 10, added = false): ChangedFunction => ({ name, instructions, added });

describe("enteredFunctions", () => {
  it("reads non-zero entry counts of llvm-profdata's listing, statics by their name", () => {
    const listing = [
      "Counters:", "  a.c:sq:", "    Hash: 0x0a", "    Counters: 1", "    Block counts: [3]",
      "  never:", "    Hash: 0x0b", "    Counters: 2", "    Block counts: [0, 0]",
      "  main:", "    Hash: 0x0c", "    Counters: 3", "    Block counts: [1, 0, 7]", "Instrumentation level: IR  entry_first = 1",
    ].join("\n");
    expect([...enteredFunctions(listing)].sort()).toEqual(["main", "sq"]);
  });
});

describe("judgeCoverage", () => {
  const runsEvidence = "agrees on 1 run";
  it("passes when the runs entered every changed function, and says so", () => {
    const r = judgeCoverage({ runsEvidence, changed: [fn("main"), fn("f")], executed: new Set(["main", "f"]) });
    expect(r.ok).toBe(true);
    expect(r.evidence).toMatch(/2 entered by the runs, 0 completed by direct tests, 0 not exercised; 100\.0 % of changed instructions in covered functions/);
  });

  it("is undecided, naming what no run entered, when the runs miss a changed function", () => {
    const r = judgeCoverage({ runsEvidence, changed: [fn("main"), fn("encrypt", 1238)], executed: new Set(["main"]) });
    expect(r).toMatchObject({ ok: false, decided: false });
    expect(r.evidence).toMatch(/not exercised: encrypt \(no run entered it\)/);
  });

  it("counts functions tested directly, keeps the reason of untestable ones, and honours a required share", () => {
    const direct = { agreed: ["g"], untestable: [{ fn: "h", why: "signature not supported: struct by value" }], callsPerFunction: 64 };
    const changed = [fn("main", 90), fn("g", 5), fn("h", 5)];
    const strict = judgeCoverage({ runsEvidence, changed, executed: new Set(["main"]), direct });
    expect(strict.ok).toBe(false);
    expect(strict.evidence).toMatch(/1 completed by direct tests \(64 calls each\), 1 not exercised; 95\.0 %/);
    expect(strict.evidence).toMatch(/h \(signature not supported: struct by value\)/);
    expect(judgeCoverage({ runsEvidence, changed, executed: new Set(["main"]), direct, required: 0.95 }).ok).toBe(true);
  });

  it("needs no evidence for functions the program never calls, nor for new functions reached through covered ones", () => {
    const r = judgeCoverage({
      runsEvidence, changed: [fn("main"), fn("libraryOnly"), fn("main.outlined", 4, true)], executed: new Set(["main"]), reachable: new Set(["main"]),
    });
    expect(r.ok).toBe(true);
    expect(r.evidence).toMatch(/1 changed function\(s\) the program can run \(\+1 new, reached through them\) \(\+1 it never calls\)/);
  });

  it("with traced blocks: reports the share executed, and direct tests count only when they executed the changed blocks", () => {
    const blockFn = (name: string, changedBlocks: number[], added = false): ChangedFunction => ({ name, instructions: 30, added, changedBlocks });
    const changed = [blockFn("main", [4, 0, 6]), blockFn("work", [10, 10]), blockFn("helper", [5, 5]), blockFn("main.cold", [3], true)];
    const entered = new Set(["main", "work"]);
    const runs = new Map([["main", new Set([0, 2])], ["work", new Set([0])], ["main.cold", new Set([0])]]);
    const direct = { agreed: ["helper"], untestable: [], callsPerFunction: 64 };
    // Agreeing calls that never ran helper's second changed block prove nothing about it.
    const half = judgeCoverage({ runsEvidence, changed, executed: entered, direct, blocks: { runs, direct: new Map([["helper", new Set([0])]]) } });
    expect(half).toMatchObject({ ok: false, decided: false });
    expect(half.evidence).toMatch(/not exercised: helper \(1 changed block\(s\) never executed; direct tests agreed without executing it\)/);
    const full = judgeCoverage({ runsEvidence, changed, executed: entered, direct, blocks: { runs, direct: new Map([["helper", new Set([0, 1])]]) } });
    expect(full.ok).toBe(true);
    expect(full.evidence).toMatch(/2 entered by the runs, 1 completed by direct tests .* 76\.7 % of changed instructions executed \(counted by basic block\)/);
    // A required share counts executed blocks: work's second block never ran.
    const strict = judgeCoverage({ runsEvidence, changed, executed: entered, direct, required: 1, blocks: { runs, direct: new Map([["helper", new Set([0, 1])]]) } });
    expect(strict.ok).toBe(false);
    expect(judgeCoverage({ runsEvidence, changed, executed: entered, direct, required: 0.75, blocks: { runs, direct: new Map([["helper", new Set([0, 1])]]) } }).ok).toBe(true);
  });
});
