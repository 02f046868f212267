import { keyIdOf } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { refuseQuarantined, type AdmissionAuthority } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import type { RegistryLedger } from "./registry-ledger.js";

/**
 * Admission decided by the governance ledger: an adapter may work only while an
 * `adapter_admission` entry for it is in effect (k-of-n governors signed it and no
 * revocation followed) AND the key the ledger admitted is the key the adapter is
 * registered with. Every check uses the committed ledger state (`committedState`), so a
 * revocation stops the adapter at its next call after the approval's reply. A quarantine
 * (the registry's own finding, pending the governors' revocation) refuses the adapter
 * before the ledger is asked.
 */
export class LedgerAdmission implements AdmissionAuthority {
  constructor(private readonly ledger: RegistryLedger) {}

  /** Operators cannot admit under the ledger: admission is an entry governors sign. */
  async authorizeAdmission(_ctx: CallContext, adapter: string): Promise<void> {
    throw new OpmError("failed_precondition",
      `admission is governed by the ledger: propose an adapter_admission entry for ${adapter} (\`opm ledger propose admit ${adapter}\`) and have k governors approve it`);
  }

  async requireAdmitted(ctx: CallContext, adapter: Actor): Promise<void> {
    refuseQuarantined(adapter);
    const state = await this.ledger.committedState(ctx);
    const admitted = state.adapters.get(adapter.name);
    if (admitted === undefined) {
      const revoked = state.revoked.get(adapter.name);
      throw new OpmError("permission_denied", revoked === undefined
        ? `adapter ${adapter.name} is not admitted by the governance ledger`
        : `adapter ${adapter.name} was revoked by ledger entry ${revoked.revokedAt}${revoked.reason === "" ? "" : ` (${revoked.reason})`}`);
    }
    if (!Buffer.from(admitted.publicKey).equals(Buffer.from(adapter.publicKey))) {
      throw new OpmError("permission_denied",
        `adapter ${adapter.name} is registered with key ${keyIdOf(adapter.publicKey)} but ledger entry ${admitted.admittedAt} admitted key ${keyIdOf(admitted.publicKey)}`);
    }
  }
}
