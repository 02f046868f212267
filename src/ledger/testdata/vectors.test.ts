import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fromHex } from "../bytes.js";
import { CosignatureVerifier } from "../checkpoint/cosignature.js";
import { Ed25519NoteVerifier } from "../checkpoint/ed25519-note-signer.js";
import { openCheckpoint } from "../checkpoint/open-checkpoint.js";
import { LedgerError } from "../errors.js";
import { MemoryTreeStore } from "../merkle/memory-tree-store.js";
import { hashLeaf } from "../merkle/hasher.js";
import { rootAt } from "../merkle/proofs.js";
import { verifyConsistency } from "../merkle/verify-consistency.js";
import { verifyInclusion } from "../merkle/verify-inclusion.js";
import { generateVectors } from "./generate.js";

const DIR = dirname(fileURLToPath(import.meta.url));
const generated = generateVectors();
if (process.env.UPDATE_VECTORS === "1") for (const [name, text] of generated) writeFileSync(join(DIR, name), text);
const load = (name: string) => JSON.parse(readFileSync(join(DIR, name), "utf8"));

interface ProofCase { proof: string[]; negatives: ({ name: string } & ProofCase)[]; [k: string]: unknown }

const rejects = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof LedgerError;
  }
  return false;
};

describe("golden vectors", () => {
  it("files equal the generator's output (never hand-edited)", () => {
    for (const [name, text] of generated) {
      expect(existsSync(join(DIR, name)), `${name} missing: run UPDATE_VECTORS=1 npx vitest run src/ledger/testdata`).toBe(true);
      expect(readFileSync(join(DIR, name), "utf8"), name).toBe(text);
    }
  });

  it("roots: the fast store reproduces every root", async () => {
    const store = new MemoryTreeStore();
    const { roots } = load("roots.json") as { roots: { treeSize: number; root: string }[] };
    for (const { treeSize, root } of roots) {
      expect(Buffer.from(await rootAt(store, BigInt(treeSize))).toString("hex")).toBe(root);
      await store.appendLeaves([hashLeaf(new TextEncoder().encode(`leaf-${treeSize}`))]);
    }
  });

  it("inclusion: every positive verifies, every negative is rejected", () => {
    const check = (c: Record<string, unknown>) => verifyInclusion(BigInt(c.leafIndex as number), BigInt(c.treeSize as number), fromHex(c.leafHash as string), (c.proof as string[]).map(fromHex), fromHex(c.root as string));
    let negatives = 0;
    for (const c of load("inclusion.json").cases as ProofCase[]) {
      check(c);
      for (const n of c.negatives) {
        expect(rejects(() => check(n)), `${n.name} at ${c.leafIndex}/${c.treeSize}`).toBe(true);
        negatives++;
      }
    }
    expect(negatives).toBeGreaterThan(50);
  });

  it("consistency: every positive verifies, every negative is rejected", () => {
    const check = (c: Record<string, unknown>) => verifyConsistency(BigInt(c.size1 as number), BigInt(c.size2 as number), fromHex(c.root1 as string), fromHex(c.root2 as string), (c.proof as string[]).map(fromHex));
    for (const c of load("consistency.json").cases as ProofCase[]) {
      check(c);
      for (const n of c.negatives) expect(rejects(() => check(n)), `${n.name} at ${c.size1}→${c.size2}`).toBe(true);
    }
  });

  it("checkpoints: every positive opens, every negative is rejected", () => {
    const v = load("checkpoints.json") as { origin: string; logKey: string; witnessKey: string; positives: Record<string, string>; negatives: Record<string, string> };
    const policy = { origin: v.origin, logVerifier: Ed25519NoteVerifier.fromVerifierKey(v.logKey), witnesses: [CosignatureVerifier.fromVerifierKey(v.witnessKey)] };
    for (const [name, note] of Object.entries(v.positives)) expect(() => openCheckpoint(note, policy), name).not.toThrow();
    expect(openCheckpoint(v.positives["with-witness-cosignature"]!, policy).witnesses).toHaveLength(1);
    for (const [name, note] of Object.entries(v.negatives)) expect(rejects(() => openCheckpoint(note, policy)), name).toBe(true);
  });
});
