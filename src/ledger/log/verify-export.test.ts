import { describe, expect, it } from "vitest";
import { LedgerError } from "../errors.js";
import { ORIGIN, genesis, governor, kinds, logSigner, next, smallLedger } from "../testdata/fixtures.js";
import { ExportWriter, EXPORT_FORMAT, decodeCheckpointRecord, readExportRecords } from "./export-format.js";
import { Ledger } from "./ledger.js";
import { verifyExport } from "./verify-export.js";

async function fixture() {
  const { ledger } = await smallLedger(11, 3);
  const bytes = await ledger.export();
  const records = [...readExportRecords(bytes)];
  const entries = records.filter((r) => r.fieldNo === 4).map((r) => r.payload);
  const notes = records.filter((r) => r.fieldNo === 5).map((r) => decodeCheckpointRecord(r.payload, r.offset));
  const rebuild = (es: Uint8Array[], ns: string[]) => {
    const w = new ExportWriter().string(1, EXPORT_FORMAT).string(2, ORIGIN).string(3, logSigner().verifierKey());
    for (const e of es) w.field(4, e);
    for (const n of ns) w.checkpoint(n);
    return w.finish();
  };
  return { ledger, bytes, entries, notes, rebuild };
}

async function failure(bytes: Uint8Array, options = {}): Promise<LedgerError> {
  const err = await verifyExport(bytes, options).then(() => undefined, (e: unknown) => e);
  if (!(err instanceof LedgerError)) throw new Error(`expected a LedgerError, got ${String(err)}`);
  return err;
}

describe("verifyExport tamper detection", () => {
  it("re-encoding an export gives the same bytes", async () => {
    const { bytes, entries, notes, rebuild } = await fixture();
    expect(Buffer.compare(rebuild(entries, notes), bytes)).toBe(0);
  });

  it("detects a flipped bit at every sampled byte position", async () => {
    const { bytes } = await fixture();
    const positions = new Set<number>([0, 1, bytes.length - 1]);
    for (let p = 0; p < bytes.length; p += 5) positions.add(p);
    for (const p of positions) {
      const bit = p % 8;
      const bad = bytes.slice();
      bad[p]! ^= 1 << bit;
      const err = await failure(bad);
      expect(err.message.length, `byte ${p} bit ${bit}`).toBeGreaterThan(0);
    }
  });

  it("names the first bad entry when an entry is dropped or two are swapped", async () => {
    const { entries, notes, rebuild } = await fixture();
    const dropped = await failure(rebuild([...entries.slice(0, 4), ...entries.slice(5)], notes));
    expect(dropped.reason).toBe("bad_chain");
    expect(dropped.entryIndex).toBe(4n);
    expect(dropped.message).toMatch(/^entry 4:/);
    const swapped = entries.slice();
    [swapped[6], swapped[7]] = [swapped[7]!, swapped[6]!];
    const err = await failure(rebuild(swapped, notes));
    expect(err.entryIndex).toBe(6n);
    const lastDropped = await failure(rebuild(entries.slice(0, -1), notes));
    expect(lastDropped.message).toMatch(/entries dropped/);
  });

  it("detects a replayed old checkpoint and a rollback against a trusted checkpoint", async () => {
    const { ledger, entries, notes, rebuild } = await fixture();
    const replayed = await failure(rebuild(entries, [...notes.slice(0, -1), notes[1]!]));
    expect(replayed.reason).toBe("rollback");
    const stale = await failure(rebuild(entries, notes.slice(0, -1)));
    expect(stale.message).toMatch(/not covered by the last checkpoint/);
    // A trusted checkpoint beyond the export: the export is a rollback.
    await ledger.append(next(ledger.state, kinds.policy("default", 12n), [governor("gov-a")]));
    const newer = await ledger.checkpoint();
    const rolledBack = await failure(rebuild(entries, notes), { trustedCheckpoint: newer });
    expect(rolledBack.reason).toBe("rollback");
  });

  it("detects a split view: a different log under the same key", async () => {
    const { notes } = await fixture();
    const fork = await Ledger.create({ origin: ORIGIN, logSigner: logSigner() }, genesis([governor("gov-z")], 1));
    const err = await failure(await fork.export(), { trustedCheckpoint: notes[0]! });
    expect(err.reason).toBe("split_view");
  });

  it("rejects trailing garbage and a foreign log key", async () => {
    const { bytes } = await fixture();
    const garbage = new Uint8Array([...bytes, 0x00]);
    expect((await failure(garbage)).reason).toBe("malformed_export");
    expect((await failure(bytes, { logKey: logSigner("other.example/log").verifierKey() })).reason).toBe("unknown_key");
  });
});
