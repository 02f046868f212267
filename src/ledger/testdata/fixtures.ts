/**
 * Deterministic keys and entry builders shared by tests, the vector generator and the
 * benchmark. Never used by the library itself.
 */
import { createHash } from "node:crypto";
import { ed25519FromSeed, type Ed25519KeyPair } from "../../kernel/codec/index.js";
import { PrivacyAccountant, type SignedLedgerEntry } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { Ed25519NoteSigner } from "../checkpoint/ed25519-note-signer.js";
import { makeSignedEntry, signEntry } from "../governance/entry-codec.js";
import { GovernanceState } from "../governance/governance-state.js";
import { Proposal, type EntryKind } from "../governance/proposal.js";
import { Ledger } from "../log/ledger.js";

export const ORIGIN = "ledger.openpassmarket.example/test";

/** A 32-byte seed derived from a label, so every fixture key is reproducible. */
export function seed(label: string): Uint8Array {
  return createHash("sha256").update(`openpassmarket fixture ${label}`).digest();
}

/** A named governor key pair. */
export interface Governor {
  name: string;
  keys: Ed25519KeyPair;
}

export function governor(name: string): Governor {
  return { name, keys: ed25519FromSeed(seed(name)) };
}

export function logSigner(origin = ORIGIN): Ed25519NoteSigner {
  return Ed25519NoteSigner.fromSeed(origin, seed(`log ${origin}`));
}

/** Entry bytes signed by `signers`, in log form. */
export function signedBy(entryBytes: Uint8Array, signers: readonly Governor[]): SignedLedgerEntry {
  return makeSignedEntry(entryBytes, signers.map((g) => signEntry(entryBytes, g.keys)));
}

/** The genesis entry naming `governors` with `threshold`, signed by `signers` (default: all). */
export function genesis(governors: readonly Governor[], threshold: number, signers: readonly Governor[] = governors, origin = ORIGIN): SignedLedgerEntry {
  const kind: EntryKind = {
    case: "genesis",
    value: { $typeName: "openpassmarket.v1.Genesis", governors: governors.map((g) => ({ $typeName: "openpassmarket.v1.GovernorKey", name: g.name, publicKey: g.keys.publicKeyRaw })), threshold, logOrigin: origin },
  };
  const p = Proposal.create(new GovernanceState(), governors[0]!.name, 1_700_000_000_000n, kind);
  return signedBy(p.entryBytes, signers);
}

/** The next entry of `state` with payload `kind`, signed by `signers`. */
export function next(state: GovernanceState, kind: EntryKind, signers: readonly Governor[], at = 1_700_000_000_000n + state.size): SignedLedgerEntry {
  return signedBy(Proposal.create(state, signers[0]?.name ?? "nobody", at, kind).entryBytes, signers);
}

/** Payload kinds, built without protobuf boilerplate at call sites. */
export const kinds = {
  admit: (adapter: string, key: Uint8Array, compiler = "llvm"): EntryKind => ({
    case: "adapterAdmission",
    value: { $typeName: "openpassmarket.v1.AdapterAdmission", adapter, adapterPublicKey: key, compiler, reason: "test" },
  }),
  revoke: (adapter: string): EntryKind => ({
    case: "adapterRevocation",
    value: { $typeName: "openpassmarket.v1.AdapterRevocation", adapter, reason: "test" },
  }),
  policy: (policyId: string, version: bigint, epsilon = "1.5", delta = "1e-9"): EntryKind => ({
    case: "privacyPolicyUpdate",
    value: {
      $typeName: "openpassmarket.v1.PrivacyPolicyUpdate", policyId, family: "*", accountant: PrivacyAccountant.APPROXIMATE,
      totalEpsilon: epsilon, totalDelta: delta, version, reason: "test",
      releaseCost: "", quantity: "", clampMin: 0n, clampMax: 0n, refreshPeriodMs: 0n,
    },
  }),
  rotate: (governors: readonly Governor[], threshold: number): EntryKind => ({
    case: "governorRotation",
    value: { $typeName: "openpassmarket.v1.GovernorRotation", newGovernors: governors.map((g) => ({ $typeName: "openpassmarket.v1.GovernorKey", name: g.name, publicKey: g.keys.publicKeyRaw })), newThreshold: threshold, reason: "test" },
  }),
};

/** A ledger with a 1-of-1 governor and `n` policy updates after genesis, checkpointed every `every` entries. */
export async function smallLedger(n: number, every = 4): Promise<{ ledger: Ledger; gov: Governor }> {
  const gov = governor("gov-a");
  const ledger = await Ledger.create({ origin: ORIGIN, logSigner: logSigner() }, genesis([gov], 1));
  for (let i = 1; i <= n; i++) {
    await ledger.append(next(ledger.state, kinds.policy("default", BigInt(i)), [gov]));
    if (i % every === 0) await ledger.checkpoint();
  }
  return { ledger, gov };
}
