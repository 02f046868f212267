import { OpmError } from "../../kernel/errors/index.js";
import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { ActorStatus } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";
import { findActor } from "./actor-repository.js";
import { refuseQuarantined } from "./quarantine.js";

/**
 * Decides who may admit adapters and whether an adapter's admission is in effect. The
 * registry asks only this interface; the governance ledger implements it (k-of-n
 * governor approvals), and `AdminAdmission` stands in where no ledger is configured.
 */
export interface AdmissionAuthority {
  /** Throws permission_denied unless the caller may admit `adapter` with key `keyId` now. */
  authorizeAdmission(ctx: CallContext, adapter: string, keyId: string): Promise<void>;
  /** Throws permission_denied unless `adapter`'s admission is in effect now and no spot check quarantined it. */
  requireAdmitted(ctx: CallContext, adapter: Actor): Promise<void>;
}

/** Admission by a registry operator: any actor of kind `admin` may admit. */
export class AdminAdmission implements AdmissionAuthority {
  async authorizeAdmission(ctx: CallContext): Promise<void> {
    const caller = await findActor(ctx.db, ctx.actor);
    if (caller?.kind !== "admin") {
      throw new OpmError("permission_denied", `${ctx.actor} may not admit adapters (needs kind admin, is ${caller?.kind ?? "unregistered"})`);
    }
  }

  async requireAdmitted(_ctx: CallContext, adapter: Actor): Promise<void> {
    refuseQuarantined(adapter);
    if (adapter.status !== ActorStatus.ADMITTED) {
      throw new OpmError("permission_denied", `adapter ${adapter.name} is ${ActorStatus[adapter.status].toLowerCase()}, not admitted`);
    }
  }
}
