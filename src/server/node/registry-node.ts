import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { inlineVerifier, VerifyPool } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { file_openpassmarket_v1_job_service, JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { file_openpassmarket_v1_registry_service, RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { DEFAULT_JOBS_CONFIG, jobImplementation, spotCheckKeyOf, type JobsConfig } from "../jobs/index.js";
import { file_openpassmarket_v1_ledger_service, LedgerService } from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import { GovernedAdmission, ledgerImplementation, LedgerRevocations, RegistryLedger, type AdmissionMode } from "../registry-ledger/index.js";
import { createLogger, type Logger } from "../../kernel/logger/index.js";
import { ensureLedgerKey, ensureNodePki } from "../../kernel/pki/index.js";
import { ActorKeys, AdminAdmission, ProblemCache, registerBuiltin, registryImplementation, type AdmissionAuthority } from "../registry/index.js";
import { CommitGroup, createCallContext, RateLimiter, startRpcServer } from "../rpc/index.js";
import { openDatabase, type OpenDatabase } from "../storage/index.js";
import { LedgerPeerAdmission, startDeltaSync, syncImplementation, type DeltaSync, type PeerConfig } from "../sync/index.js";
import { file_openpassmarket_v1_sync_service, SyncService } from "../../gen/openpassmarket/v1/sync_service_pb.js";
import { ACCESS_TABLE, AccessControl } from "../access/index.js";
import { campaignImplementation } from "../campaigns/index.js";
import { CampaignService, file_openpassmarket_v1_campaign_service } from "../../gen/openpassmarket/v1/campaign_service_pb.js";
import { DEFAULT_RELEASE_POLICY, describePolicy, ledgerReleasePolicies } from "../privacy/index.js";

export interface RegistryNodeOptions {
  /** Holds the PKI and, without `dbUrl`, the embedded database. */
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** `postgres://…` of a PostgreSQL server; embedded PGlite when absent. */
  dbUrl?: string;
  /** Keep the embedded database in memory (nothing survives `stop`): for throwaway runs. */
  ephemeralDb?: boolean;
  /** Largest request accepted (default 16 MiB). */
  maxMessageBytes?: number;
  /** Per-identity calls per second sustained, and burst (default 2000 / 4000). */
  rateLimit?: { perSecond: number; burst: number };
  /** Accepted request clock skew (default 5 minutes). */
  timestampWindowMs?: number;
  /** Worker threads checking Ed25519 signatures; 0 checks on the event loop. Default: one per core but one. */
  verifyThreads?: number;
  /** Transactions of state-changing calls in flight at once (group commit); default 1 on PGlite, 2 on a server. */
  commitLanes?: number;
  /**
   * Overrides who decides admission. By default the governance ledger decides once its
   * genesis is in effect and the operator (`AdminAdmission`) before; see `admissionMode`.
   */
  admission?: AdmissionAuthority;
  /** `auto` (default): ledger once initialised, operator before; `ledger`: always the ledger. */
  admissionMode?: AdmissionMode;
  /** Queue timing (leases, attempts, backoff) and the spot-check fraction. */
  jobs?: Partial<JobsConfig>;
  log?: Logger;
  /** Peers whose delta logs this node pulls continuously (`opm serve --peer`). */
  peers?: readonly PeerConfig[];
  /** Delta batcher pass interval and peer pull interval (ms). */
  sync?: { batchIntervalMs?: number; pullIntervalMs?: number; maxCheckpointAgeMs?: number; pageBytes?: number; batchChanges?: number };
}

export interface RegistryNode {
  /** `host:port` with the real port. */
  address: string;
  /** Path of the CA certificate that clients must trust. */
  caPath: string;
  /** Directory of the operator identity (kind admin). */
  adminDir: string;
  database: OpenDatabase;
  /** The node's delta log (batcher) and its pulls from peers. */
  sync: DeltaSync;
  /** The delta log's verifier key, which peers pin. */
  deltaKey: string;
  /** Graceful stop: refuses new calls, finishes running ones, closes the database. */
  stop(): Promise<void>;
}

/**
 * Starts one registry node: development PKI, database (migrated), the operator
 * identity registered as `admin`, the governance ledger (log key under `pki/`), and the
 * mTLS gRPC server (Registry, Job, Ledger and Sync services) with health and reflection,
 * the delta log's batcher and the pulls from `peers`.
 */
export async function startRegistryNode(options: RegistryNodeOptions): Promise<RegistryNode> {
  const log = options.log ?? createLogger();
  const pki = await ensureNodePki(options.dataDir, options.host);
  const database = await openDatabase(options.dbUrl === undefined ? { dataDir: options.dataDir, ephemeral: options.ephemeralDb === true } : { url: options.dbUrl });
  const { db } = database;
  const timestampWindowMs = options.timestampWindowMs ?? 5 * 60_000;
  // Ed25519 checks (two per signed call) run beside the event loop, on the other cores.
  const threads = options.verifyThreads ?? Math.max(0, availableParallelism() - 1);
  const verifier = threads > 0 ? new VerifyPool(threads) : inlineVerifier;
  let sync: DeltaSync | undefined;
  try {
    await db.transaction().execute((tx) =>
      registerBuiltin(createCallContext(tx, {
        actor: pki.admin.name, certificateFingerprint: "", method: "startup", correlationId: randomUUID(), requestDigest: "", now: Date.now(),
      }), "admin", pki.admin.keys.publicKeyRaw),
    );
    const keys = new ActorKeys(db);
    const limit = options.rateLimit ?? { perSecond: 2000, burst: 4000 };
    const ledgerKey = ensureLedgerKey(options.dataDir);
    const ledger = new RegistryLedger(ledgerKey);
    const ledgerState = await ledger.state(db);
    if (ledgerState.size > 0n && ledgerState.origin !== ledger.origin) {
      throw new OpmError("failed_precondition", `the ledger in this database has origin ${ledgerState.origin} but this node's log key makes ${ledger.origin}: start with the data dir that holds pki/ledger-ed25519.pem`);
    }
    const admission = options.admission ?? new GovernedAdmission(ledger, new AdminAdmission(), options.admissionMode ?? "auto");
    const policies = ledgerReleasePolicies((ctx) => ledger.committedState(ctx));
    const deps = { keys, admission, problems: new ProblemCache(), verifier, policies, nodeKey: ledgerKey };
    if (ledgerState.policies.size === 0) log.info("no privacy policy in the ledger: the built-in default applies", { policy: describePolicy(DEFAULT_RELEASE_POLICY) });
    // PGlite is one connection; a server gets a few transactions in flight at once.
    const commits = new CommitGroup(db, { lanes: options.commitLanes ?? (database.kind === "pglite" ? 1 : 2), maxBatch: 64 });
    // Peers are admitted like adapters: by the operator until a ledger genesis, by the ledger after.
    const peerAuthority = new LedgerPeerAdmission((d) => ledger.state(d), pki.admin.name, options.admissionMode ?? "auto");
    const access = new AccessControl(ACCESS_TABLE, peerAuthority);
    const env = { db, commits, verifier, log, limiter: new RateLimiter(limit.perSecond, limit.burst), keyOf: (a: string) => keys.keyOf(a), timestampWindowMs, access };
    const jobsConfig = { ...DEFAULT_JOBS_CONFIG, ...options.jobs };
    // The delta log is signed with the node's key (its ledger log key, under another origin).
    const deltaSync = await startDeltaSync({ db, key: ledgerKey, log, peers: options.peers, authority: peerAuthority, ...options.sync });
    sync = deltaSync;
    const server = await startRpcServer({
      host: options.host,
      port: options.port,
      tls: { caPem: pki.ca.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem },
      services: [
        { service: SyncService, implementation: syncImplementation(deltaSync.batcher, env) },
        { service: RegistryService, implementation: registryImplementation(deps, env) },
        { service: JobService, implementation: jobImplementation(deps, jobsConfig, { key: spotCheckKeyOf(ledgerKey), revocations: new LedgerRevocations(ledger) }, env) },
        { service: LedgerService, implementation: ledgerImplementation({ ledger, keys }, env) },
        { service: CampaignService, implementation: campaignImplementation(env) },
      ],
      files: [file_openpassmarket_v1_sync_service, file_openpassmarket_v1_registry_service, file_openpassmarket_v1_job_service, file_openpassmarket_v1_ledger_service, file_openpassmarket_v1_campaign_service],
      maxMessageBytes: options.maxMessageBytes ?? 16 * 1024 * 1024,
    });
    // Nonces older than twice the window can no longer be replayed (the timestamp check
    // refuses them first), so they are dropped.
    const pruner = setInterval(() => {
      db.deleteFrom("request_nonces").where("seen_at_ms", "<", Date.now() - 2 * timestampWindowMs).execute()
        .catch((err: unknown) => log.warn("nonce pruning failed", { error: err }));
    }, 60_000);
    pruner.unref();
    return {
      address: server.address,
      caPath: pki.caPath,
      adminDir: pki.adminDir,
      database,
      sync: deltaSync,
      deltaKey: deltaSync.batcher.logKey,
      stop: async () => {
        clearInterval(pruner);
        await server.shutdown();
        await deltaSync.stop();
        await database.close();
        await verifier.close();
      },
    };
  } catch (err) {
    await sync?.stop();
    await verifier.close();
    await database.close();
    throw err;
  }
}
