/**
 * A lie never becomes a result: a lying adapter (the real adapter loop and LLVM
 * toolchain, reporting a smaller metric than its output has, under a forged passing
 * verdict) serves a whole search, no spot check catches it, and still `optimize` never
 * reports its claims — it reproduces each candidate with the participant's own toolchain,
 * keeps the ones that do not reproduce as evidence and reports the best that does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusPrograms } from "../bench/corpus/index.js";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { optimize } from "../src/client/orchestrator/index.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { startLyingAdapter, type LyingAdapter } from "./support/lying-adapter.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

describe.each(testDatabases())("optimize reports only corroborated results, on $kind", (database) => {
  let h: RegistryHarness;
  let alice: Identity;
  let work: string;
  let liar: LyingAdapter;

  beforeAll(async () => {
    // No spot checks at all: the participant's own reproduction is the last line.
    h = await startHarness(database, { jobs: { spotCheckFraction: 0 } });
    work = mkdtempSync(join(tmpdir(), "opm-corroborate-"));
    alice = await h.identity("alice");
    const identity = await h.identity("liar");
    liar = startLyingAdapter(h.node.address, identity, "smaller-metric");
    const admin = h.client(h.admin);
    for (let i = 0; !(await admin.getActor({ name: "liar" }).catch(() => undefined))?.actor; i++) {
      if (i > 600) throw new Error(`the liar never registered:\n${liar.log()}`);
      await sleep(50);
    }
    await admin.admitAdapter({ adapter: "liar", keyId: identity.keys.keyId });
  }, 120_000);
  afterAll(async () => {
    await liar?.stop().catch(() => undefined);
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("never reports a lie as best: every claim is re-measured, the lies are evidence, the default is what stands", async () => {
    const file = corpusPrograms().find((p) => p.name === "crc32")!.path;
    const result = await optimize({
      file, compiler: "llvm", objective: "ir-instcount", strategy: "random", seed: 1, maxEvaluations: 6, maxSteps: 8,
      market: { address: h.node.address, identity: alice, irStore: new IrStore(join(work, "ir")), parallelism: 2 },
      visibility: "public",
    });
    expect(result.evaluations).toBe(6);
    // The liar claimed less than the truth for every plan, the default included.
    expect(result.unreproduced.length).toBeGreaterThanOrEqual(1);
    expect(result.unreproduced.every((u) => u.adapter === "liar" && u.claimed < u.measured)).toBe(true);
    expect(result.best).toBe(result.baseline);
    expect(result.bestJobId).toBe("");
  }, 180_000);
});
