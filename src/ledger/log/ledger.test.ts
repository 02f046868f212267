import { describe, expect, it } from "vitest";
import { CheckpointVerifier } from "../checkpoint/checkpoint-verifier.js";
import { openCheckpoint } from "../checkpoint/open-checkpoint.js";
import { LedgerError } from "../errors.js";
import { verifyConsistency } from "../merkle/verify-consistency.js";
import { verifyInclusion } from "../merkle/verify-inclusion.js";
import { ORIGIN, genesis, governor, kinds, logSigner, next, smallLedger } from "../testdata/fixtures.js";
import { Ledger } from "./ledger.js";
import { MemoryLedgerStore } from "./ledger-store.js";
import { verifyExport } from "./verify-export.js";

describe("Ledger", () => {
  it("appends effective entries, proves inclusion and consistency against signed checkpoints", async () => {
    const { ledger } = await smallLedger(9);
    const policy = { origin: ORIGIN, logVerifier: logSigner().verifier() };
    const client = new CheckpointVerifier(policy, (await ledger.store.checkpoints())[1]);
    const note = await ledger.checkpoint();
    const cp = openCheckpoint(note, policy).checkpoint;
    expect(cp.size).toBe(10n);
    client.update(note, await ledger.proveConsistency(client.trusted!.checkpoint.size, 10n));
    for (let i = 0n; i < 10n; i++) {
      const p = await ledger.proveInclusion(i);
      verifyInclusion(i, p.size, p.leafHash, p.proof, cp.rootHash);
    }
    const old = openCheckpoint((await ledger.store.checkpoints())[0]!, policy).checkpoint;
    verifyConsistency(old.size, cp.size, old.rootHash, cp.rootHash, await ledger.proveConsistency(old.size));
  });

  it("rejects a batch atomically, naming the first bad entry", async () => {
    const { ledger, gov } = await smallLedger(2);
    const s = ledger.state.clone();
    const e3 = next(s, kinds.policy("default", 3n), [gov]);
    s.apply(e3);
    const e4 = next(s, kinds.policy("default", 9n), [gov]);
    const err = await ledger.appendBatch([e3, e4]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerError);
    expect((err as LedgerError).entryIndex).toBe(4n);
    expect(ledger.size).toBe(3n);
    expect(await ledger.store.entryCount()).toBe(3n);
  });

  it("reopens from its store and keeps refusing inconsistent checkpoints", async () => {
    const store = new MemoryLedgerStore();
    const gov = governor("gov-a");
    const first = await Ledger.create({ origin: ORIGIN, logSigner: logSigner(), store }, genesis([gov], 1));
    await first.append(next(first.state, kinds.admit("llvm-1", governor("ad").keys.publicKeyRaw), [gov]));
    const reopened = await Ledger.open({ origin: ORIGIN, logSigner: logSigner(), store });
    expect(reopened.state.isAdmitted("llvm-1")).toBe(true);
    await reopened.checkpoint();
    expect((await verifyExport(await reopened.export())).size).toBe(2n);
  });

  it("exports a file that verifies offline and carries the governance state", async () => {
    const { ledger } = await smallLedger(9);
    const trusted = (await ledger.store.checkpoints())[1]!;
    const out = await verifyExport(await ledger.export(), { trustedCheckpoint: trusted, logKey: logSigner().verifierKey() });
    expect(out.size).toBe(10n);
    expect(out.state.policy("default")?.version).toBe(9n);
    expect(out.checkpoints).toBe(4);
  });
});

describe("Ledger.create", () => {
  it("refuses a genesis for another origin before touching the store", async () => {
    const store = new MemoryLedgerStore();
    const g = genesis([governor("gov-a")], 1, undefined, "other.example/log");
    await expect(Ledger.create({ origin: ORIGIN, logSigner: logSigner(), store }, g)).rejects.toThrow(/log_origin/);
    expect(await store.entryCount()).toBe(0n);
  });
});

describe("Ledger.checkpoint", () => {
  it("is idempotent at an unchanged size, so exports stay verifiable", async () => {
    const { ledger } = await smallLedger(3, 100);
    const a = await ledger.checkpoint();
    expect(await ledger.checkpoint()).toBe(a);
    expect((await verifyExport(await ledger.export())).checkpoints).toBe(2);
  });
});
