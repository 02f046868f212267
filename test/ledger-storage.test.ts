import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  consistencyProof,
  Ed25519NoteSigner,
  hashLeaf,
  inclusionProof,
  Ledger,
  makeSignedEntry,
  MemoryTreeStore,
  encodeEntry,
  rootAt,
  signEntry,
  verifyExport,
} from "../src/ledger/index.js";
import { generateEd25519 } from "../src/kernel/codec/index.js";
import { PgLedgerStore, PgTreeStore } from "../src/server/registry-ledger/index.js";
import { openDatabase, type OpenDatabase } from "../src/server/storage/index.js";
import { testDatabases } from "./support/databases.js";

/** Counts statements and returned rows, to check proof cost at the SQL level. */
class QueryCounter implements KyselyPlugin {
  queries = 0;
  rows = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.queries++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.rows += args.result.rows.length;
    return args.result;
  }
}

const leaf = (i: number) => hashLeaf(new TextEncoder().encode(`leaf-${i}`));
const hex = (list: Uint8Array[]) => list.map((b) => Buffer.from(b).toString("hex"));

describe.each(testDatabases())("ledger storage on $kind", (database) => {
  let open: OpenDatabase;
  const N = 3000;
  const memory = new MemoryTreeStore();

  beforeAll(async () => {
    const url = await database.create();
    open = await openDatabase(url === undefined ? { ephemeral: true } : { url });
    const pg = new PgTreeStore(open.db);
    // Uneven batches so batch boundaries fall everywhere.
    for (let i = 0, b = 1; i < N; i += b, b = (b % 97) + 13) {
      const batch = Array.from({ length: Math.min(b, N - i) }, (_, j) => leaf(i + j));
      await pg.appendLeaves(batch);
      await memory.appendLeaves(batch);
    }
  }, 120_000);
  afterAll(async () => open?.close());

  it("stores the same tree as the in-memory store", async () => {
    const pg = new PgTreeStore(open.db);
    expect(await pg.size()).toBe(BigInt(N));
    for (const size of [1n, 2n, 3n, 1024n, 1025n, 2999n, BigInt(N)]) {
      expect(Buffer.from(await rootAt(pg, size)).toString("hex")).toBe(Buffer.from(await rootAt(memory, size)).toString("hex"));
    }
  });

  it("answers proofs with O(log n) rows in two queries, identical to the in-memory store", async () => {
    const counter = new QueryCounter();
    const pg = new PgTreeStore(open.db.withPlugin(counter));
    const bound = (size: number) => 2 * Math.ceil(Math.log2(size)) + 1;
    for (const [m, size] of [[0, N], [N - 1, N], [1234, 2049], [2047, 2048], [7, 9]] as const) {
      counter.queries = 0;
      counter.rows = 0;
      const proof = await inclusionProof(pg, BigInt(m), BigInt(size));
      expect(hex(proof)).toEqual(hex(await inclusionProof(memory, BigInt(m), BigInt(size))));
      expect(counter.queries).toBe(2); // size() and one getNodes
      expect(counter.rows).toBeLessThanOrEqual(bound(size) + 1);
      counter.queries = 0;
      counter.rows = 0;
      const cons = await consistencyProof(pg, BigInt(m + 1), BigInt(size));
      expect(hex(cons)).toEqual(hex(await consistencyProof(memory, BigInt(m + 1), BigInt(size))));
      expect(counter.queries).toBeLessThanOrEqual(2);
      expect(counter.rows).toBeLessThanOrEqual(bound(size) + 1);
    }
  });

  it("backs the library Ledger: append, checkpoint, reopen, export that verifies", async () => {
    const url = await database.create();
    const db2 = await openDatabase(url === undefined ? { ephemeral: true } : { url });
    try {
      const origin = "test.example/ledger";
      const logSigner = Ed25519NoteSigner.generate(origin);
      const govs = [generateEd25519(), generateEd25519()];
      const genesisBytes = encodeEntry({
        index: 0n, proposer: "admin", proposedAtUnixMs: 1n,
        kind: { case: "genesis", value: { governors: govs.map((g, i) => ({ name: `g${i}`, publicKey: g.publicKeyRaw })), threshold: 2, logOrigin: origin } },
      });
      const store = new PgLedgerStore(db2.db);
      const ledger = await Ledger.create({ origin, logSigner, store }, makeSignedEntry(genesisBytes, govs.map((g) => signEntry(genesisBytes, g))));
      for (let i = 0; i < 5; i++) {
        const bytes = encodeEntry({
          index: ledger.size, previousEntryHash: ledger.state.lastLeafHash, proposer: "g0", proposedAtUnixMs: 2n,
          kind: { case: "adapterAdmission", value: { adapter: `a${i}`, adapterPublicKey: govs[0]!.publicKeyRaw, compiler: "llvm" } },
        });
        await ledger.append(makeSignedEntry(bytes, govs.map((g) => signEntry(bytes, g))));
        await ledger.checkpoint();
      }
      const reopened = await Ledger.open({ origin, logSigner, store: new PgLedgerStore(db2.db) });
      expect(reopened.size).toBe(6n);
      const verified = await verifyExport(await reopened.export(), { logKey: logSigner.verifierKey() });
      expect([verified.size, verified.checkpoints]).toEqual([6n, 6]);
    } finally {
      await db2.close();
    }
  });
});
