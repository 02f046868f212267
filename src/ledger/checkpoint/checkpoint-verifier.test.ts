import { describe, expect, it } from "vitest";
import { LedgerError } from "../errors.js";
import { hashLeaf } from "../merkle/hasher.js";
import { MemoryTreeStore } from "../merkle/memory-tree-store.js";
import { consistencyProof, rootAt } from "../merkle/proofs.js";
import { CheckpointSigner } from "./checkpoint-signer.js";
import { CheckpointVerifier } from "./checkpoint-verifier.js";
import { CosignatureSigner } from "./cosignature.js";
import { Ed25519NoteSigner } from "./ed25519-note-signer.js";
import { addNoteSignatures } from "./note.js";
import { openCheckpoint } from "./open-checkpoint.js";

const ORIGIN = "ledger.openpassmarket.example/test";

async function setup() {
  const store = new MemoryTreeStore();
  const key = Ed25519NoteSigner.fromSeed(ORIGIN, new Uint8Array(32).fill(1));
  const signer = new CheckpointSigner(ORIGIN, key);
  const grow = async (n: number) => store.appendLeaves(Array.from({ length: n }, (_, i) => hashLeaf(new Uint8Array([i, n]))));
  const sign = async () => {
    const size = await store.size();
    return signer.sign(size, await rootAt(store, size), await consistencyProof(store, signer.lastSigned?.size ?? 0n, size));
  };
  return { store, key, signer, grow, sign };
}

const reasonOf = (fn: () => unknown): string => {
  try {
    fn();
    return "accepted";
  } catch (err) {
    return err instanceof LedgerError ? err.reason : String(err);
  }
};

describe("CheckpointVerifier", () => {
  it("advances on consistent checkpoints and detects rollback and split view", async () => {
    const { store, key, grow, sign } = await setup();
    await grow(5);
    const cp5 = await sign();
    await grow(8);
    const cp13 = await sign();
    const policy = { origin: ORIGIN, logVerifier: key.verifier() };
    const client = new CheckpointVerifier(policy, cp5);
    client.update(cp13, await consistencyProof(store, 5n, 13n));
    expect(client.trusted?.checkpoint.size).toBe(13n);
    expect(reasonOf(() => client.update(cp5, []))).toBe("rollback");

    // A forked log under the same key: same size, different root.
    const fork = await setup();
    await fork.grow(13);
    const forked = await fork.sign();
    expect(reasonOf(() => client.update(forked, []))).toBe("split_view");
    // A larger forked tree with a proof that does not connect to the trusted root.
    await fork.grow(4);
    const forked17 = await fork.sign();
    const forkProof = await consistencyProof(fork.store, 13n, 17n);
    expect(reasonOf(() => client.update(forked17, forkProof))).toBe("split_view");
  });

  it("enforces a witness quorum", async () => {
    const { key, grow, sign } = await setup();
    await grow(3);
    const note = await sign();
    const w = CosignatureSigner.fromSeed("witness.example/w1", new Uint8Array(32).fill(9), () => 1700000000n);
    const policy = { origin: ORIGIN, logVerifier: key.verifier(), witnesses: [w.verifier()], witnessQuorum: 1 };
    expect(reasonOf(() => openCheckpoint(note, policy))).toBe("unknown_key");
    expect(openCheckpoint(addNoteSignatures(note, [w]), policy).witnesses).toEqual(["witness.example/w1"]);
  });
});

describe("CheckpointSigner", () => {
  it("refuses to sign a checkpoint inconsistent with the last one it signed", async () => {
    const { store, signer, grow, sign } = await setup();
    await grow(6);
    await sign();
    const root6 = await rootAt(store, 6n);
    await grow(2);
    const root8 = await rootAt(store, 8n);
    expect(reasonOf(() => signer.sign(5n, root6, []))).toBe("inconsistent_checkpoint");
    expect(reasonOf(() => signer.sign(6n, root8, []))).toBe("inconsistent_checkpoint");
    expect(reasonOf(() => signer.sign(8n, root6, []))).toBe("inconsistent_checkpoint");
    const bogus = await consistencyProof(store, 6n, 8n);
    expect(reasonOf(() => signer.sign(8n, hashLeaf(new Uint8Array([1])), bogus))).toBe("inconsistent_checkpoint");
    expect(reasonOf(() => signer.sign(8n, root8, bogus))).toBe("accepted");
  });
});
