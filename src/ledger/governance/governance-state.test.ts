import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LedgerSignatureSchema } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { LedgerError } from "../errors.js";
import { genesis, governor, kinds, next, signedBy } from "../testdata/fixtures.js";
import { approvalCount } from "./approvals.js";
import { encodeEntry, makeSignedEntry, signEntry } from "./entry-codec.js";
import { GovernanceState } from "./governance-state.js";
import { Proposal } from "./proposal.js";

const [a, b, c, d, e] = ["gov-a", "gov-b", "gov-c", "gov-d", "gov-e"].map(governor) as [ReturnType<typeof governor>, ReturnType<typeof governor>, ReturnType<typeof governor>, ReturnType<typeof governor>, ReturnType<typeof governor>];
const adapterKey = governor("adapter-1").keys.publicKeyRaw;

function reasonOf(fn: () => unknown): string {
  try {
    fn();
    return "accepted";
  } catch (err) {
    if (err instanceof LedgerError) return err.reason;
    throw err;
  }
}

function twoOfThree(): GovernanceState {
  const s = new GovernanceState();
  s.apply(genesis([a, b, c], 2));
  return s;
}

describe("governance thresholds", () => {
  it("genesis needs its own threshold", () => {
    expect(reasonOf(() => new GovernanceState().apply(genesis([a, b, c], 2, [a])))).toBe("threshold_not_met");
    expect(twoOfThree().governors.threshold).toBe(2);
  });

  it("counts distinct current governors: duplicates once, unknown keys ignored", () => {
    const s = twoOfThree();
    const bytes = Proposal.create(s, "gov-a", 1n, kinds.admit("llvm-1", adapterKey)).entryBytes;
    const sigA = signEntry(bytes, a.keys);
    const sigX = signEntry(bytes, d.keys);
    expect(approvalCount(bytes, [sigA, sigA, sigX], s.governors)).toBe(1);
    // makeSignedEntry dedups, so build the duplicate-carrying entry by hand.
    const dup = makeSignedEntry(bytes, [sigA, sigX]);
    dup.signatures.push(sigA);
    expect(reasonOf(() => s.clone().apply(dup))).toBe("threshold_not_met");
    expect(reasonOf(() => s.clone().apply(signedBy(bytes, [a, b])))).toBe("accepted");
  });

  it("rejects the whole entry when a governor's signature is invalid", () => {
    const s = twoOfThree();
    const bytes = Proposal.create(s, "gov-a", 1n, kinds.admit("llvm-1", adapterKey)).entryBytes;
    const forged = create(LedgerSignatureSchema, { publicKey: c.keys.publicKeyRaw, signature: new Uint8Array(64) });
    const signed = makeSignedEntry(bytes, [signEntry(bytes, a.keys), signEntry(bytes, b.keys), forged]);
    expect(reasonOf(() => s.apply(signed))).toBe("bad_signature");
    expect(s.size).toBe(1n);
  });

  it("rotation needs k of the old set and k' of the new set", () => {
    const s = twoOfThree();
    const rotate = kinds.rotate([c, d, e], 2);
    expect(reasonOf(() => s.clone().apply(next(s, rotate, [a, b])))).toBe("threshold_not_met");
    expect(reasonOf(() => s.clone().apply(next(s, rotate, [d, e])))).toBe("threshold_not_met");
    expect(reasonOf(() => s.clone().apply(next(s, rotate, [a, c, d])))).toBe("accepted");
    s.apply(next(s, rotate, [a, b, d, e]));
    // The old governors a and b lost their power.
    expect(reasonOf(() => s.clone().apply(next(s, kinds.admit("x", adapterKey), [a, b])))).toBe("threshold_not_met");
    expect(reasonOf(() => s.clone().apply(next(s, kinds.admit("x", adapterKey), [c, e])))).toBe("accepted");
  });
});

describe("governance transitions", () => {
  it("admits, revokes and re-admits adapters; revocation takes effect at once", () => {
    const s = twoOfThree();
    s.apply(next(s, kinds.admit("llvm-1", adapterKey), [a, b]));
    expect(s.isAdmitted("llvm-1")).toBe(true);
    expect(s.adapterKey("llvm-1")).toEqual(adapterKey);
    expect(reasonOf(() => s.clone().apply(next(s, kinds.admit("llvm-1", adapterKey), [a, b])))).toBe("invalid_transition");
    s.apply(next(s, kinds.revoke("llvm-1"), [a, c]));
    expect(s.isAdmitted("llvm-1")).toBe(false);
    expect(s.adapterKey("llvm-1")).toBeUndefined();
    expect(reasonOf(() => s.clone().apply(next(s, kinds.revoke("llvm-1"), [a, b])))).toBe("invalid_transition");
    s.apply(next(s, kinds.admit("llvm-1", adapterKey), [a, b]));
    expect(s.isAdmitted("llvm-1")).toBe(true);
  });

  it("versions privacy policies and validates decimal totals", () => {
    const s = twoOfThree();
    s.apply(next(s, kinds.policy("p", 1n), [a, b]));
    expect(s.policy("p")?.totalEpsilon).toBe("1.5");
    expect(reasonOf(() => s.clone().apply(next(s, kinds.policy("p", 3n), [a, b])))).toBe("invalid_transition");
    expect(reasonOf(() => s.clone().apply(next(s, kinds.policy("p", 2n, "-1"), [a, b])))).toBe("invalid_transition");
    expect(reasonOf(() => s.clone().apply(next(s, kinds.policy("p", 2n, "1", "1.5"), [a, b])))).toBe("invalid_transition");
    s.apply(next(s, kinds.policy("p", 2n, "3"), [a, b]));
    expect(s.policy("p")?.version).toBe(2n);
  });

  it("enforces the chain: index, previous hash, genesis only first", () => {
    const s = twoOfThree();
    const e1 = next(s, kinds.policy("p", 1n), [a, b]);
    const wrongIndex = signedBy(encodeEntry({ index: 5n, previousEntryHash: s.lastLeafHash, proposer: "gov-a", kind: kinds.policy("p", 1n) }), [a, b]);
    const wrongPrev = signedBy(encodeEntry({ index: 1n, previousEntryHash: new Uint8Array(32), proposer: "gov-a", kind: kinds.policy("p", 1n) }), [a, b]);
    expect(reasonOf(() => s.clone().apply(wrongIndex))).toBe("bad_chain");
    expect(reasonOf(() => s.clone().apply(wrongPrev))).toBe("bad_chain");
    expect(reasonOf(() => s.clone().apply(genesis([a], 1)))).toBe("bad_chain");
    expect(reasonOf(() => new GovernanceState().apply(e1))).toBe("bad_chain");
    expect(reasonOf(() => new GovernanceState().apply(genesis([a, a], 1)))).toBe("invalid_transition");
    expect(reasonOf(() => new GovernanceState().apply(genesis([a, b], 3)))).toBe("invalid_transition");
  });
});

describe("proposals", () => {
  it("stay pending until the threshold is met", () => {
    const s = twoOfThree();
    const p = Proposal.create(s, "gov-a", 1n, kinds.admit("gcc-1", adapterKey, "gcc"));
    p.addSignature(signEntry(p.entryBytes, a.keys));
    p.addSignature(signEntry(p.entryBytes, a.keys));
    expect(p.status(s)).toEqual({ tallies: [{ set: "current", have: 1, need: 2 }], effective: false });
    expect(reasonOf(() => p.addSignature(create(LedgerSignatureSchema, { publicKey: b.keys.publicKeyRaw, signature: new Uint8Array(64) })))).toBe("bad_signature");
    p.addSignature(signEntry(p.entryBytes, c.keys));
    expect(p.status(s).effective).toBe(true);
    s.apply(p.toSignedEntry());
    expect(s.isAdmitted("gcc-1")).toBe(true);
  });
});
