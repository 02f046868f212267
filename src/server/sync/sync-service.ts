import { create } from "@bufbuild/protobuf";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { OpmError } from "../../kernel/errors/index.js";
import {
  GetDeltaBatchesResponseSchema,
  GetDeltaCheckpointResponseSchema,
  GetSyncStatusResponseSchema,
  SyncService,
} from "../../gen/openpassmarket/v1/sync_service_pb.js";
import { bindMethods, type HandlerEnv, type MethodImpl } from "../rpc/index.js";
import type { DeltaBatcher } from "./delta-batcher.js";
import { stateRoots } from "./state-roots.js";

type Methods = (typeof SyncService)["method"];
type Impl = { [K in keyof Methods]: MethodImpl<Methods[K]["input"], Methods[K]["output"]> };

/** Largest page of batches served (bytes); a page holds at least one batch. */
const MAX_PAGE_BYTES = 12 * 1024 * 1024;

/**
 * The SyncService methods: all reads (no signature, no transaction), served to the
 * callers the access table's `peer` rule lets in (the operator and admitted peers once
 * the governance ledger decides; any certificate of this node's CA before) — the log
 * carries only what may cross nodes.
 */
export function syncMethods(batcher: DeltaBatcher): Impl {
  return {
    getDeltaCheckpoint: {
      mutates: false,
      handle: async (ctx, req) => {
        const { note, proof } = await batcher.checkpoint(req.fromSize);
        return create(GetDeltaCheckpointResponseSchema, { note, consistencyProof: proof, logKey: batcher.logKey });
      },
    },
    getDeltaBatches: {
      mutates: false,
      handle: async (ctx, req) => {
        const size = batcher.size;
        if (req.toSize > size) throw new OpmError("invalid_argument", `to_size ${req.toSize} > log size ${size}`, { field: "to_size" });
        if (req.fromSequence >= req.toSize) throw new OpmError("invalid_argument", `from_sequence ${req.fromSequence} >= to_size ${req.toSize}`, { field: "from_sequence" });
        const maxBytes = Math.min(req.maxBytes === 0 ? 4 * 1024 * 1024 : req.maxBytes, MAX_PAGE_BYTES);
        const batches: Uint8Array[] = [];
        let bytes = 0;
        let next = req.fromSequence;
        // Read in slices of 4 rows (a batch may be up to 8 MiB) so a page never loads much
        // more than it sends: 64 rows of full batches was ~40 MB read per 4 MiB page.
        while (next < req.toSize && bytes < maxBytes) {
          const rows = await ctx.db.selectFrom("delta_batches").select(["sequence", "body"])
            .where("sequence", ">=", Number(next)).where("sequence", "<", Number(req.toSize)).orderBy("sequence").limit(4).execute();
          if (rows.length === 0) break;
          for (const r of rows) {
            if (batches.length > 0 && bytes + r.body.length > maxBytes) return page();
            batches.push(Uint8Array.from(r.body));
            bytes += r.body.length;
            next = BigInt(r.sequence) + 1n;
          }
        }
        return page();
        async function page() {
          const end = req.fromSequence + BigInt(batches.length);
          return create(GetDeltaBatchesResponseSchema, { batches, consistencyProof: await batcher.proof(end, req.toSize) });
        }
      },
    },
    getSyncStatus: {
      mutates: false,
      handle: async (ctx) => {
        const roots = await stateRoots(ctx.db);
        const peers = await ctx.db.selectFrom("sync_peers").selectAll().orderBy("origin").execute();
        return create(GetSyncStatusResponseSchema, {
          origin: batcher.origin, size: batcher.size, stateRoot: roots.own, federatedRoot: roots.federated, deltas: BigInt(roots.deltas),
          peers: peers.map((p) => ({ origin: p.origin, address: p.address, appliedSize: BigInt(p.applied_size), trustedCheckpoint: p.trusted_note })),
        });
      },
    },
  };
}

/** The SyncService bound to the shared handler machinery. */
export function syncImplementation(batcher: DeltaBatcher, env: HandlerEnv): UntypedServiceImplementation {
  return bindMethods(SyncService, syncMethods(batcher) as never, env);
}
