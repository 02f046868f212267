import { create } from "@bufbuild/protobuf";
import {
  decodeSignedEntry,
  EXPORT_FORMAT,
  ExportWriter,
  parseCheckpoint,
  parseNote,
} from "../../ledger/index.js";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import {
  ExportResponseSchema,
  GetCheckpointResponseSchema,
  ListEntriesResponseSchema,
  ListProposalsResponseSchema,
  ProveConsistencyResponseSchema,
  ProveInclusionResponseSchema,
  type ExportRequest,
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
} from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import { consistencyProof, inclusionProof } from "../../ledger/index.js";
import type { CallContext } from "../rpc/index.js";
import { listProposalRows } from "./proposal-repository.js";
import { proposalToProto } from "./proposal-status.js";
import type { RegistryLedger } from "./registry-ledger.js";
import { ProposalState } from "../../gen/openpassmarket/v1/ledger_service_pb.js";

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

/** Largest page `Export` sends (well under the 16 MiB message limit). */
const EXPORT_PAGE_BYTES = 8 * 1024 * 1024;
/** Records read from the database per round trip while filling a page. */
const EXPORT_READ_CHUNK = 1_000;

/**
 * One page of the log as a `LedgerExport` file: header, every entry as stored, every
 * checkpoint (every append signs one, so the last covers all entries). Records are
 * numbered entries first, then checkpoints; the page token carries the snapshot taken
 * at the first page (entry count, checkpoint count) and the next record, so pages
 * concatenate to the export of that snapshot however the log grows meanwhile.
 */
export async function exportLedger(ctx: CallContext, ledger: RegistryLedger, req: ExportRequest): Promise<ExportResponse> {
  const store = ledger.store(ctx.db);
  const budget = req.maxBytes === 0 ? EXPORT_PAGE_BYTES : Math.min(req.maxBytes, EXPORT_PAGE_BYTES);
  const w = new ExportWriter();
  let snapshot: { size: bigint; checkpoints: number; next: bigint };
  if (req.pageToken === "") {
    const size = await store.entryCount();
    snapshot = { size, checkpoints: await store.checkpointCountUpTo(size), next: 0n };
    w.string(EXPORT_FIELD.format, EXPORT_FORMAT).string(EXPORT_FIELD.origin, ledger.origin).string(EXPORT_FIELD.logKey, ledger.logKey);
  } else {
    snapshot = parseExportToken(req.pageToken, await store.entryCount());
  }
  const total = snapshot.size + BigInt(snapshot.checkpoints);
  let next = snapshot.next;
  // At least one record per page, then as many as fit.
  const fits = (bytes: number) => w.length === 0 || w.length + bytes + 6 <= budget;
  fill: while (next < total) {
    if (next < snapshot.size) {
      const to = next + BigInt(EXPORT_READ_CHUNK) < snapshot.size ? next + BigInt(EXPORT_READ_CHUNK) : snapshot.size;
      for (const bytes of await store.getEntries(next, to)) {
        if (!fits(bytes.length)) break fill;
        w.field(EXPORT_FIELD.entry, bytes);
        next++;
      }
    } else {
      const offset = Number(next - snapshot.size);
      for (const note of await store.checkpointsUpTo(snapshot.size, offset, Math.min(EXPORT_READ_CHUNK, snapshot.checkpoints - offset))) {
        if (!fits(note.length + 6)) break fill;
        w.checkpoint(note);
        next++;
      }
    }
  }
  return create(ExportResponseSchema, {
    export: w.finish(), size: snapshot.size,
    nextPageToken: next < total ? `${snapshot.size}.${snapshot.checkpoints}.${next}` : "",
  });
}

/** The snapshot and position a page token names; invalid_argument for anything else. */
function parseExportToken(token: string, entries: bigint): { size: bigint; checkpoints: number; next: bigint } {
  const m = /^(\d{1,19})\.(\d{1,15})\.(\d{1,19})$/.exec(token);
  const bad = () => invalidArgument("page_token", `${JSON.stringify(token.slice(0, 80))} is not a page token of this log`);
  if (m === null) throw bad();
  const [size, checkpoints, next] = [BigInt(m[1]!), Number(m[2]!), BigInt(m[3]!)];
  if (size > entries || next > size + BigInt(checkpoints)) throw bad();
  return { size, checkpoints, next };
}
