import { create } from "@bufbuild/protobuf";
import {
  decodeSignedEntry,
  EXPORT_FORMAT,
  ExportWriter,
  parseCheckpoint,
  parseNote,
} from "../../ledger/index.js";
import { OpmError } from "../errors/index.js";
import {
  ExportResponseSchema,
  GetCheckpointResponseSchema,
  ListEntriesResponseSchema,
  ListProposalsResponseSchema,
  ProveConsistencyResponseSchema,
  ProveInclusionResponseSchema,
  type ExportResponse,
  type GetCheckpointResponse,
  type ListEntriesRequest,
  type ListEntriesResponse,
  type ListProposalsRequest,
  type ListProposalsResponse,
  type ProveConsistencyRequest,
  type ProveConsistencyResponse,
  type ProveInclusionRequest,
  type ProveInclusionResponse,
} from "../gen/openpassmarket/v1/ledger_service_pb.js";
import { consistencyProof, inclusionProof } from "../../ledger/index.js";
import type { CallContext } from "../rpc/index.js";
import { listProposalRows } from "./proposal-repository.js";
import { proposalToProto } from "./proposal-status.js";
import type { RegistryLedger } from "./registry-ledger.js";
import { ProposalState } from "../gen/openpassmarket/v1/ledger_service_pb.js";

// Field numbers of LedgerExport (proto/openpassmarket/v1/ledger.proto).
const EXPORT_FIELD = { format: 1, origin: 2, logKey: 3, entry: 4 } as const;

/** Entries [from, from + limit) with their leaf hashes. */
export async function listEntries(ctx: CallContext, ledger: RegistryLedger, req: ListEntriesRequest): Promise<ListEntriesResponse> {
  const limit = req.limit === 0 ? 100 : req.limit;
  if (limit > 1000) throw new OpmError("invalid_argument", `field \`limit\`: ${limit} > 1000`, { field: "limit" });
  const store = ledger.store(ctx.db);
  const size = await store.entryCount();
  const from = req.fromIndex > size ? size : req.fromIndex;
  const to = from + BigInt(limit) < size ? from + BigInt(limit) : size;
  const bodies = await store.getEntries(from, to);
  const leaves = await store.tree.getNodes(bodies.map((_, i) => ({ level: 0, index: from + BigInt(i) })));
  return create(ListEntriesResponseSchema, {
    size,
    entries: bodies.map((b, i) => ({ index: from + BigInt(i), entry: decodeSignedEntry(b, from + BigInt(i)), leafHash: leaves[i]! })),
  });
}

/** Proposals (one by id, or all, optionally in one state), newest first. */
export async function listProposals(ctx: CallContext, ledger: RegistryLedger, req: ListProposalsRequest): Promise<ListProposalsResponse> {
  const state = await ledger.state(ctx.db);
  const rows = await listProposalRows(ctx.db, req.proposalId === "" ? {} : { id: req.proposalId });
  const all = await Promise.all(rows.map((r) => proposalToProto(ctx.db, r, state)));
  return create(ListProposalsResponseSchema, { proposals: req.state === ProposalState.UNSPECIFIED ? all : all.filter((p) => p.state === req.state) });
}

async function latest(ctx: CallContext, ledger: RegistryLedger): Promise<{ note: string; size: bigint }> {
  const note = await ledger.store(ctx.db).latestCheckpoint();
  if (note === undefined) throw new OpmError("failed_precondition", "the ledger has no checkpoint yet (no genesis)");
  return { note, size: parseCheckpoint(parseNote(note).text).size };
}

/** The latest signed checkpoint (empty before the genesis) with the log key. */
export async function getCheckpoint(ctx: CallContext, ledger: RegistryLedger): Promise<GetCheckpointResponse> {
  const note = await ledger.store(ctx.db).latestCheckpoint();
  return create(GetCheckpointResponseSchema, {
    note: note ?? "", size: note === undefined ? 0n : parseCheckpoint(parseNote(note).text).size, logKey: ledger.logKey, origin: ledger.origin,
  });
}

/** Inclusion proof of entry `index` against `tree_size` (default: the latest checkpoint). O(log n) node reads. */
export async function proveEntryInclusion(ctx: CallContext, ledger: RegistryLedger, req: ProveInclusionRequest): Promise<ProveInclusionResponse> {
  const cp = await latest(ctx, ledger);
  const size = req.treeSize === 0n ? cp.size : req.treeSize;
  if (size > cp.size) throw new OpmError("invalid_argument", `field \`tree_size\`: ${size} > latest checkpoint size ${cp.size}`, { field: "tree_size" });
  if (req.index >= size) throw new OpmError("invalid_argument", `field \`index\`: ${req.index} >= tree size ${size}`, { field: "index" });
  const tree = ledger.store(ctx.db).tree;
  const proof = await inclusionProof(tree, req.index, size);
  const [leafHash] = await tree.getNodes([{ level: 0, index: req.index }]);
  return create(ProveInclusionResponseSchema, { index: req.index, treeSize: size, leafHash: leafHash!, proof, checkpoint: cp.note });
}

/** Consistency proof from `from_size` to `to_size` (default: the latest checkpoint). */
export async function proveLogConsistency(ctx: CallContext, ledger: RegistryLedger, req: ProveConsistencyRequest): Promise<ProveConsistencyResponse> {
  const cp = await latest(ctx, ledger);
  const to = req.toSize === 0n ? cp.size : req.toSize;
  if (to > cp.size) throw new OpmError("invalid_argument", `field \`to_size\`: ${to} > latest checkpoint size ${cp.size}`, { field: "to_size" });
  if (req.fromSize > to) throw new OpmError("invalid_argument", `field \`from_size\`: ${req.fromSize} > ${to}`, { field: "from_size" });
  const proof = await consistencyProof(ledger.store(ctx.db).tree, req.fromSize, to);
  return create(ProveConsistencyResponseSchema, { fromSize: req.fromSize, toSize: to, proof, checkpoint: cp.note });
}

/**
 * The whole log as one `LedgerExport` file: header, every entry as stored, every
 * checkpoint. Every append signs a checkpoint, so the last one covers all entries.
 * One message: bounded by the RPC size limit (about 16 MiB, ~80k entries).
 */
export async function exportLedger(ctx: CallContext, ledger: RegistryLedger): Promise<ExportResponse> {
  const store = ledger.store(ctx.db);
  const w = new ExportWriter().string(EXPORT_FIELD.format, EXPORT_FORMAT).string(EXPORT_FIELD.origin, ledger.origin).string(EXPORT_FIELD.logKey, ledger.logKey);
  const size = await store.entryCount();
  for (let from = 0n; from < size; from += 10_000n) {
    const to = from + 10_000n < size ? from + 10_000n : size;
    for (const bytes of await store.getEntries(from, to)) w.field(EXPORT_FIELD.entry, bytes);
  }
  for (const note of await store.checkpoints()) w.checkpoint(note);
  return create(ExportResponseSchema, { export: w.finish(), size });
}
