import { create } from "@bufbuild/protobuf";
import { signEntry } from "../../src/ledger/index.js";
import { LedgerService, type Proposal } from "../../src/gen/openpassmarket/v1/ledger_service_pb.js";
import { GovernorKeySchema, type GovernorKey } from "../../src/gen/openpassmarket/v1/ledger_pb.js";
import type { Identity } from "../../src/kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../../src/kernel/wire/index.js";
import type { RegistryHarness } from "./registry-harness.js";

export type LedgerClient = RpcClient<(typeof LedgerService)["method"]>;

/** A LedgerService client for `identity` on the harness's node (closed with the test). */
export function ledgerClient(h: RegistryHarness, identity: Identity): LedgerClient {
  return createRpcClient(LedgerService, { address: h.node.address, identity, deadlineMs: 20_000 });
}

/** The GovernorKey of an identity (its certificate name and Ed25519 key). */
export function governorKey(identity: Identity): GovernorKey {
  return create(GovernorKeySchema, { name: identity.name, publicKey: identity.keys.publicKeyRaw });
}

/** `governor` signs `proposal`'s entry bytes with its own key (client side) and submits it. */
export async function approveAs(client: LedgerClient, governor: Identity, proposal: Proposal): Promise<Proposal> {
  const signature = signEntry(proposal.entry, governor.keys);
  return (await client.approve({ proposalId: proposal.id, signature })).proposal!;
}
