import { create } from "@bufbuild/protobuf";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { publicKeyFromRaw } from "../../kernel/codec/index.js";
import {
  ApproveResponseSchema,
  InitResponseSchema,
  LedgerService,
  ProposeResponseSchema,
} from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import type { ActorKeys } from "../registry/index.js";
import { bindMethods, type HandlerEnv, type MethodImpl } from "../rpc/index.js";
import { exportLedger, getCheckpoint, listEntries, listProposals, proveEntryInclusion, proveLogConsistency } from "./ledger-queries.js";
import { approveProposal, initLedger, proposeEntry } from "./proposals.js";
import { registerGovernor } from "./register-governor.js";
import type { RegistryLedger } from "./registry-ledger.js";

type Methods = (typeof LedgerService)["method"];
type Impl = { [K in keyof Methods]: MethodImpl<Methods[K]["input"], Methods[K]["output"]> };

/** What the LedgerService needs from the node. */
export interface LedgerDeps {
  ledger: RegistryLedger;
  keys: ActorKeys;
}

/** The LedgerService methods: state changes are signed, transactional, idempotent and audited. */
export function ledgerMethods({ ledger, keys }: LedgerDeps): Impl {
  return {
    init: { mutates: true, handle: async (ctx, req) => create(InitResponseSchema, { proposal: await initLedger(ctx, ledger, req) }) },
    registerGovernor: {
      mutates: true,
      // Proof of possession: the registration is signed by the key it registers.
      signerKey: async (_actor, req) => publicKeyFromRaw(req.publicKey, "public_key"),
      handle: (ctx, req) => registerGovernor(ctx, ledger, keys, req),
    },
    propose: { mutates: true, handle: async (ctx, req) => create(ProposeResponseSchema, { proposal: await proposeEntry(ctx, ledger, req) }) },
    approve: { mutates: true, handle: async (ctx, req) => create(ApproveResponseSchema, { proposal: await approveProposal(ctx, ledger, keys, req) }) },
    listEntries: { mutates: false, handle: (ctx, req) => listEntries(ctx, ledger, req) },
    listProposals: { mutates: false, handle: (ctx, req) => listProposals(ctx, ledger, req) },
    getCheckpoint: { mutates: false, handle: (ctx) => getCheckpoint(ctx, ledger) },
    proveInclusion: { mutates: false, handle: (ctx, req) => proveEntryInclusion(ctx, ledger, req) },
    proveConsistency: { mutates: false, handle: (ctx, req) => proveLogConsistency(ctx, ledger, req) },
    export: { mutates: false, handle: (ctx, req) => exportLedger(ctx, ledger, req) },
  };
}

/** LedgerService bound to the shared handler machinery. */
export function ledgerImplementation(deps: LedgerDeps, env: HandlerEnv): UntypedServiceImplementation {
  return bindMethods(LedgerService, ledgerMethods(deps) as never, env);
}
