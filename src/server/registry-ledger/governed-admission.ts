import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { AdmissionAuthority } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { LedgerAdmission } from "./ledger-admission.js";
import type { RegistryLedger } from "./registry-ledger.js";

/**
 * How a node decides admission: `auto` — by the ledger once its genesis entry is in
 * effect, by `fallback` (the operator) before; `ledger` — always by the ledger (no
 * adapter works before a genesis and an admission entry).
 */
export type AdmissionMode = "auto" | "ledger";

/**
 * The registry's AdmissionAuthority: decides per call from the committed ledger state,
 * so initialising the ledger switches every call after it to the ledger.
 */
export class GovernedAdmission implements AdmissionAuthority {
  private readonly byLedger: LedgerAdmission;

  constructor(private readonly ledger: RegistryLedger, private readonly fallback: AdmissionAuthority, private readonly mode: AdmissionMode = "auto") {
    this.byLedger = new LedgerAdmission(ledger);
  }

  private async authority(ctx: CallContext): Promise<AdmissionAuthority> {
    if (this.mode === "ledger") return this.byLedger;
    return (await this.ledger.committedState(ctx)).size > 0n ? this.byLedger : this.fallback;
  }

  async authorizeAdmission(ctx: CallContext, adapter: string, keyId: string): Promise<void> {
    return (await this.authority(ctx)).authorizeAdmission(ctx, adapter, keyId);
  }

  async requireAdmitted(ctx: CallContext, adapter: Actor): Promise<void> {
    return (await this.authority(ctx)).requireAdmitted(ctx, adapter);
  }
}
