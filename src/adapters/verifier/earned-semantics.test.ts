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
    expect(r.evidence).toMatch(/2 entered by the runs, 0 completed by direct tests, 0 not exercised; 100\.0 % of changed instructions covered/);
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

  it("counts by basic block when blocks were traced: a changed block no run or agreeing test executed is not covered", () => {
    const blockFn = (name: string, changedBlocks: number[], added = false): ChangedFunction => ({ name, instructions: 30, added, changedBlocks });
    const changed = [blockFn("main", [4, 0, 6]), blockFn("work", [10, 10]), blockFn("main.cold", [3], true)];
    const entered = new Set(["main", "work"]);
    const runs = new Map([["main", new Set([0, 2])], ["work", new Set([0])], ["main.cold", new Set([0])]]);
    // `work`'s second changed block never ran: half of it is open, whatever function-level entry says.
    const partial = judgeCoverage({ runsEvidence, changed, executed: entered, blocks: { runs } });
    expect(partial).toMatchObject({ ok: false, decided: false });
    expect(partial.evidence).toMatch(/not exercised: work \(1 changed block\(s\) never executed; the runs skipped it\)/);
    expect(partial.evidence).toMatch(/69\.7 % of changed instructions executed .*counted by basic block/);
    // A direct test that agreed and executed the block completes it; one that did not execute it does not.
    const direct = { agreed: ["work"], untestable: [], callsPerFunction: 64 };
    expect(judgeCoverage({ runsEvidence, changed, executed: entered, direct, blocks: { runs, direct: new Map([["work", new Set([0])]]) } }).ok).toBe(false);
    const full = judgeCoverage({ runsEvidence, changed, executed: entered, direct, blocks: { runs, direct: new Map([["work", new Set([1])]]) } });
    expect(full.ok).toBe(true);
    expect(full.evidence).toMatch(/2 executed by the runs, 1 completed by direct tests/);
    // Outlined code is held to the same rule.
    expect(judgeCoverage({ runsEvidence, changed, executed: entered, direct, blocks: { runs: new Map([...runs, ["main.cold", new Set<number>()]]), direct: new Map([["work", new Set([1])]]) } }).ok).toBe(false);
  });
});
