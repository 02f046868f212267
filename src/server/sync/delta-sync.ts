import type { Kysely } from "kysely";
import type { Ed25519KeyPair } from "../../kernel/codec/index.js";
import { isOpmError } from "../../kernel/errors/index.js";
import type { Logger } from "../../kernel/logger/index.js";
import type { Identity } from "../../kernel/pki/index.js";
import { createRpcClient } from "../../kernel/wire/index.js";
import { SyncService } from "../../gen/openpassmarket/v1/sync_service_pb.js";
import type { Database } from "../storage/index.js";
import { DeltaBatcher } from "./delta-batcher.js";
import { pullDeltas, type PullResult } from "./delta-puller.js";
import { OPERATOR_PEERS, type PeerAuthority } from "./peer-admission.js";
import { PgPeerStore } from "./peer-store.js";

/** A peer this node pulls from: where, as whom (an identity the peer's CA issued), and its pinned log key. */
export interface PeerConfig {
  address: string;
  identity: Identity;
  /** The peer's delta-log verifier key (its `opm serve` listening line prints it as `deltaKey`). */
  logKey: string;
}

export interface DeltaSyncOptions {
  db: Kysely<Database>;
  /** The node's key (its ledger log key): signs batches and checkpoints. */
  key: Ed25519KeyPair;
  log: Logger;
  /** Batcher pass interval (ms, default 250). */
  batchIntervalMs?: number;
  /** Changes per batch the batcher writes (default BATCH_CHANGES). */
  batchChanges?: number;
  peers?: readonly PeerConfig[];
  /** Pull interval per peer (ms, default 1000). */
  pullIntervalMs?: number;
  /** Refuse peer checkpoints older than this (ms, default 10 minutes). */
  maxCheckpointAgeMs?: number;
  /** Bytes per page asked of a peer (default 4 MiB; at least one batch a page). */
  pageBytes?: number;
  /** Whose logs may be applied (default: every pinned peer). */
  authority?: PeerAuthority;
}

/** A refused or failed pull: the message, and the error code and DeltaError reason when known. */
export interface PullFailure {
  error: string;
  code?: string;
  reason?: string;
}

/** The delta log of a running node and its continuous pulls from peers. */
export interface DeltaSync {
  batcher: DeltaBatcher;
  /** Pulls once from every peer now (errors are logged and returned, never thrown). */
  pullAll(): Promise<Array<PullResult | PullFailure>>;
  stop(): Promise<void>;
}

/**
 * Opens the node's delta log, starts its batcher and a pull loop per peer. A refused pull
 * (a DeltaError: tampered, rolled back, frozen…) is logged with its reason and retried
 * next interval; the node keeps serving and nothing of the refused page is applied.
 */
export async function startDeltaSync(options: DeltaSyncOptions): Promise<DeltaSync> {
  const connect = (p: PeerConfig) => createRpcClient(SyncService, { address: p.address, identity: p.identity, deadlineMs: 30_000 });
  const batcher = await DeltaBatcher.open(options.db, options.key, options.log, options.batchChanges);
  batcher.start(options.batchIntervalMs ?? 250);
  const peers = (options.peers ?? []).map((p) => ({
    config: p,
    client: connect(p),
    store: new PgPeerStore(options.db, p.logKey, p.address),
    busy: undefined as Promise<PullResult | PullFailure> | undefined,
  }));
  const pullOne = (peer: (typeof peers)[number]): Promise<PullResult | PullFailure> => {
    const authority = options.authority ?? OPERATOR_PEERS;
    peer.busy ??= pullDeltas(peer.client, peer.store, {
      maxCheckpointAgeMs: options.maxCheckpointAgeMs, pageBytes: options.pageBytes, admit: () => authority.requireSource(options.db, peer.config.logKey),
    })
      .then((r) => {
        if (r.batches > 0) options.log.info("delta sync applied", { peer: peer.config.address, origin: r.origin, batches: r.batches, changes: r.changes, size: Number(r.appliedSize) });
        return r;
      }, (err: unknown) => {
        const detail = isOpmError(err) ? { code: err.code, reason: (err as { reason?: string }).reason, message: err.message } : { message: String(err) };
        options.log.warn("delta sync refused", { peer: peer.config.address, ...detail });
        // A peer that went away comes back on a new connection at the next interval, not
        // after the old channel's reconnect backoff (which grows to minutes).
        if (!isOpmError(err) || err.code === "unavailable" || err.code === "deadline_exceeded") {
          peer.client.close();
          peer.client = connect(peer.config);
        }
        return { error: detail.message, ...("code" in detail ? { code: detail.code } : {}), ...(detail.reason === undefined ? {} : { reason: detail.reason }) };
      })
      .finally(() => { peer.busy = undefined; });
    return peer.busy;
  };
  let stopped = false;
  const timers = peers.map((peer) => {
    const loop = (): void => {
      if (stopped) return;
      void pullOne(peer).finally(() => {
        if (!stopped) timer.ref = setTimeout(loop, options.pullIntervalMs ?? 1000);
      });
    };
    const timer: { ref?: NodeJS.Timeout } = { ref: setTimeout(loop, 0) };
    return timer;
  });
  return {
    batcher,
    pullAll: () => Promise.all(peers.map(pullOne)),
    stop: async () => {
      stopped = true;
      timers.forEach((t) => clearTimeout(t.ref));
      await Promise.all(peers.map((p) => p.busy?.catch(() => undefined)));
      peers.forEach((p) => p.client.close());
      await batcher.stop();
    },
  };
}
