import { create, toJson } from "@bufbuild/protobuf";
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  Ed25519NoteVerifier,
  LedgerError,
  openCheckpoint,
  parseVerifierKey,
  signEntry,
  verifyExport,
  verifyInclusion,
} from "../../ledger/index.js";
import { compilerName } from "../../kernel/plan/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import {
  AdapterAdmissionSchema,
  AdapterRevocationSchema,
  ContractPromotionSchema,
  ContractStage,
  GovernorKeySchema,
  GovernorRotationSchema,
  PeerAdmissionSchema,
  PeerRevocationSchema,
  PrivacyAccountant,
  PrivacyPolicyUpdateSchema,
  type GovernorKey,
} from "../../gen/openpassmarket/v1/ledger_pb.js";
import { LedgerService, ProposalSchema, ProposalState, type Proposal, type ProposeRequest } from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { loadIdentity, type Identity } from "../../kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../../kernel/wire/index.js";
import { parseCommandArgs, stringFlag, type ParsedArgs } from "../args.js";
import type { Command, CommandHelp } from "../command.js";
import { CLIENT_FLAGS } from "../connect.js";
import { createOutput, type Output } from "../output.js";

type LedgerClient = RpcClient<(typeof LedgerService)["method"]>;

const CONNECTION = "  --registry HOST:PORT --identity DIR   the registry and who signs (or OPM_REGISTRY, OPM_IDENTITY)";

/** What `opm ledger SUB --help` prints for each subcommand, in the order `opm ledger --help` lists them. */
const SUBCOMMANDS: readonly CommandHelp[] = [
  {
    name: "init",
    summary: "write the genesis: the first governor set and its threshold (operator)",
    usage: "opm ledger init --governor NAME:HEXKEY|--governor-identity DIR … --threshold K --registry HOST:PORT --identity ADMIN_DIR",
    help: [
      "Proposes the ledger's genesis entry: the governors whose k-of-n approvals decide adapter admissions,",
      "revocations, policies, promotions and rotations from then on (with `opm serve --admission auto`, the operator",
      "stops deciding admissions once it lands). The governors approve it like any proposal.",
      "",
      "  --governor NAME:HEXKEY     a governor by name and Ed25519 public key (64 hex digits); repeatable",
      "  --governor-identity DIR    a governor by its identity directory (reads its public key); repeatable",
      "  --threshold K      approvals an entry needs, 1..n",
      CONNECTION.replace("who signs", "the operator (DATA_DIR/identities/admin)"),
    ].join("\n"),
  },
  {
    name: "propose",
    summary: "propose an entry: admit, revoke, rotate, policy or promote (governor)",
    usage: "opm ledger propose admit ADAPTER [--compiler C] | revoke ADAPTER | admit-peer NAME --peer-key VKEY | revoke-peer NAME | rotate --governor… --threshold K | policy --policy-id ID --family F --accountant A --epsilon E --delta D --policy-version V | promote --contract ID --from STAGE --to STAGE  [--reason R] [--approve] --identity GOVERNOR_DIR",
    help: [
      "Proposes one ledger entry as a governor (registering the governor's key first) and prints the proposal with",
      "its id and tally. It lands, with a signed checkpoint, once K distinct governors have approved it.",
      "",
      "  admit ADAPTER      admit a registered adapter (its key and compiler are read from the registry;",
      "                     --compiler C overrides the compiler)",
      "  revoke ADAPTER     revoke an admitted adapter",
      "  admit-peer NAME    admit a federation peer node: it may read this node's delta log under the certificate",
      "                     name NAME, and its delta log (signed by --peer-key VKEY, its deltaKey) is applied here",
      "  revoke-peer NAME   revoke an admitted peer",
      "  rotate             replace the governor set: --governor NAME:HEXKEY / --governor-identity DIR (repeatable)",
      "                     and --threshold K",
      "  policy             create or replace a privacy policy: --policy-id ID, --family F (default *), --accountant",
      "                     pure|approximate|zcdp|renyi, --epsilon E, --delta D (default 0), --policy-version V (default 1);",
      "                     enforced for pure and zcdp: --release-cost C (ε or ρ per release, default ε 0.25), --clamp-min N",
      "                     --clamp-max N (improvement-bp range, default 0 5000), --refresh-period-ms MS (default never)",
      "  promote            move a contract between stages: --contract ID --from STAGE --to STAGE (proposed,",
      "                     experimental, stable, deprecated, retired)",
      "  --reason R         why, kept in the entry",
      "  --approve          also approve it at once with your own key",
      CONNECTION.replace("who signs", "the governor proposing"),
    ].join("\n"),
  },
  {
    name: "approve",
    summary: "approve a proposal with your governor key (signed here, on your machine)",
    usage: "opm ledger approve PROPOSAL_ID --identity GOVERNOR_DIR",
    help: [
      "Signs the proposal's entry bytes with the governor's Ed25519 key on this machine and submits the signature;",
      "prints the proposal's new tally, or the index it was applied at once K governors have signed.",
      "",
      "  PROPOSAL_ID        the id `opm ledger propose` or `opm ledger list --proposals` printed",
      CONNECTION.replace("who signs", "the governor approving"),
    ].join("\n"),
  },
  {
    name: "list",
    summary: "list the log's entries, or the open and decided proposals",
    usage: "opm ledger list [--proposals] [--from N] [--limit N]",
    help: [
      "Lists the log's entries (index, leaf hash, number of governor signatures; --json adds the entry bytes), or",
      "with --proposals every proposal with its kind, entry index, state and tallies.",
      "",
      "  --proposals        proposals instead of entries",
      "  --from N           the first entry index (default 0)",
      "  --limit N          at most N entries (default 100)",
      CONNECTION.replace("who signs", "who asks"),
    ].join("\n"),
  },
  {
    name: "checkpoint",
    summary: "print the latest signed checkpoint (C2SP signed note)",
    usage: "opm ledger checkpoint",
    help: [
      "Prints the log's latest checkpoint: a C2SP signed note with the origin, size and root hash, signed by the",
      "node's log key (--json adds the size, origin and the log's verifier key).",
      "",
      CONNECTION.replace("who signs", "who asks"),
    ].join("\n"),
  },
  {
    name: "prove",
    summary: "an inclusion proof for an entry, or a consistency proof between two sizes",
    usage: "opm ledger prove INDEX [--size N] | prove --consistency FROM [--size N]",
    help: [
      "Prints a Merkle proof (RFC 9162) as JSON. For an inclusion proof the proof is also checked here against the",
      "signed checkpoint when the tree size is the checkpoint's.",
      "",
      "  INDEX              the entry to prove included",
      "  --consistency FROM prove that the log of size FROM is a prefix of the log of size --size",
      "  --size N           the tree size to prove against (default: the latest)",
      CONNECTION.replace("who signs", "who asks"),
    ].join("\n"),
  },
  {
    name: "export",
    summary: "write the whole log to a file, for offline verification",
    usage: "opm ledger export --out FILE [--page-bytes N]",
    help: [
      "Writes every entry with its signatures and the checkpoints to FILE, fetched in pages that concatenate to one",
      "file (written to FILE.partial and renamed when complete). `opm ledger verify --file FILE` checks it offline.",
      "",
      "  --out FILE         where to write the export",
      "  --page-bytes N     largest page to ask for (default: the server's, at most 8 MiB)",
      CONNECTION.replace("who signs", "who asks"),
    ].join("\n"),
  },
  {
    name: "verify",
    summary: "check an export offline: every entry, signature, threshold and checkpoint",
    usage: "opm ledger verify --file FILE [--log-key VKEY] [--trusted-checkpoint NOTE_FILE]   (offline)",
    help: [
      "Verifies an export from scratch, without a registry: replays the governance state entry by entry (each",
      "entry signed by K governors of the set in force), recomputes the Merkle tree and checks every checkpoint.",
      "Exit 0 when it verifies; 1 naming the first problem (and the entry at fault); 2 when FILE cannot be read.",
      "",
      "  --file FILE        the export (`opm ledger export --out FILE`)",
      "  --log-key VKEY     the log's verifier key to require (as `opm ledger checkpoint --json` prints it)",
      "  --trusted-checkpoint NOTE_FILE   a checkpoint note you trusted earlier: the export must extend it (no rollback, no split view)",
    ].join("\n"),
  },
];

const USAGE = SUBCOMMANDS.map((s) => s.usage).join("\n      ");

const FLAGS = {
  ...CLIENT_FLAGS,
  governor: { type: "string", multiple: true }, "governor-identity": { type: "string", multiple: true }, threshold: { type: "string" },
  compiler: { type: "string" }, reason: { type: "string" }, approve: { type: "boolean" },
  "policy-id": { type: "string" }, family: { type: "string" }, accountant: { type: "string" }, epsilon: { type: "string" }, delta: { type: "string" }, "policy-version": { type: "string" },
  "release-cost": { type: "string" }, "clamp-min": { type: "string" }, "clamp-max": { type: "string" }, "refresh-period-ms": { type: "string" },
  contract: { type: "string" }, from: { type: "string" }, to: { type: "string" }, "peer-key": { type: "string" },
  proposals: { type: "boolean" }, limit: { type: "string" }, size: { type: "string" }, consistency: { type: "string" },
  out: { type: "string" }, "page-bytes": { type: "string" }, file: { type: "string" }, "log-key": { type: "string" }, "trusted-checkpoint": { type: "string" },
} as const;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bigFlag = (args: ParsedArgs, name: string): bigint | undefined => {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,19}$/.test(v)) throw new OpmError("invalid_argument", `--${name}: ${JSON.stringify(v)} is not a non-negative integer`);
  return BigInt(v);
};

function identityOf(args: ParsedArgs): Identity {
  return loadIdentity(resolve(stringFlag(args, "identity") ?? process.env.OPM_IDENTITY ?? (stringFlag(args, "identity", true) as string)));
}

function registryAddress(args: ParsedArgs): string {
  return stringFlag(args, "registry") ?? process.env.OPM_REGISTRY ?? (stringFlag(args, "registry", true) as string);
}

async function withLedger<T>(args: ParsedArgs, fn: (c: LedgerClient, me: Identity) => Promise<T>): Promise<T> {
  const identity = identityOf(args);
  const client = createRpcClient(LedgerService, { address: registryAddress(args), identity });
  try {
    return await fn(client, identity);
  } finally {
    client.close();
  }
}

/** `--governor NAME:HEXKEY` and `--governor-identity DIR` flags as GovernorKeys. */
function governorFlags(args: ParsedArgs): GovernorKey[] {
  const out: GovernorKey[] = [];
  for (const spec of (args.values.governor as string[] | undefined) ?? []) {
    const m = /^([^:]+):([0-9a-f]{64})$/.exec(spec);
    if (m === null) throw new OpmError("invalid_argument", `--governor: ${JSON.stringify(spec)} is not NAME:<64 hex digits of an Ed25519 key>`);
    out.push(create(GovernorKeySchema, { name: m[1]!, publicKey: Buffer.from(m[2]!, "hex") }));
  }
  for (const dir of (args.values["governor-identity"] as string[] | undefined) ?? []) {
    const id = loadIdentity(resolve(dir));
    out.push(create(GovernorKeySchema, { name: id.name, publicKey: id.keys.publicKeyRaw }));
  }
  if (out.length === 0) throw new OpmError("invalid_argument", "at least one --governor or --governor-identity is required");
  return out;
}

function enumFlag<E extends Record<string, string | number>>(args: ParsedArgs, name: string, e: E, prefix = ""): E[keyof E] {
  const v = stringFlag(args, name, true);
  const value = e[`${prefix}${v.toUpperCase()}` as keyof E];
  if (value === undefined || value === 0) throw new OpmError("invalid_argument", `--${name}: unknown value ${JSON.stringify(v)}`);
  return value;
}

async function proposalKind(args: ParsedArgs, what: string | undefined, target: string | undefined, me: Identity): Promise<ProposeRequest["kind"]> {
  const reason = stringFlag(args, "reason") ?? "";
  const need = (t: string | undefined) => {
    if (t === undefined) throw new OpmError("invalid_argument", `usage: opm ledger propose ${what} NAME`);
    return t;
  };
  switch (what) {
    case "admit": {
      const adapter = need(target);
      const registry = createRpcClient(RegistryService, { address: registryAddress(args), identity: me });
      try {
        const actor = (await registry.getActor({ name: adapter })).actor!;
        const compiler = stringFlag(args, "compiler") ?? (actor.capabilities?.compiler ? compilerName(actor.capabilities.compiler) : "");
        return { case: "adapterAdmission", value: create(ProposalSchemaFor.admission, { adapter, adapterPublicKey: actor.publicKey, compiler, reason }) };
      } finally {
        registry.close();
      }
    }
    case "revoke": return { case: "adapterRevocation", value: create(ProposalSchemaFor.revocation, { adapter: need(target), reason }) };
    // A federation peer: its certificate name at this node and its delta-log key (its `opm serve` line's deltaKey).
    case "admit-peer": return {
      case: "peerAdmission",
      value: create(PeerAdmissionSchema, { peer: need(target), publicKey: parseVerifierKey(stringFlag(args, "peer-key", true)).publicKey, reason }),
    };
    case "revoke-peer": return { case: "peerRevocation", value: create(PeerRevocationSchema, { peer: need(target), reason }) };
    case "rotate": return { case: "governorRotation", value: create(ProposalSchemaFor.rotation, { newGovernors: governorFlags(args), newThreshold: Number(bigFlag(args, "threshold") ?? 0n), reason }) };
    case "policy": return {
      case: "privacyPolicyUpdate",
      value: create(ProposalSchemaFor.policy, {
        policyId: stringFlag(args, "policy-id", true), family: stringFlag(args, "family") ?? "*", accountant: enumFlag(args, "accountant", PrivacyAccountant),
        totalEpsilon: stringFlag(args, "epsilon", true), totalDelta: stringFlag(args, "delta") ?? "0", version: bigFlag(args, "policy-version") ?? 1n, reason,
        releaseCost: stringFlag(args, "release-cost") ?? "", clampMin: signedFlag(args, "clamp-min"), clampMax: signedFlag(args, "clamp-max"),
        refreshPeriodMs: bigFlag(args, "refresh-period-ms") ?? 0n,
      }),
    };
    case "promote": return {
      case: "contractPromotion",
      value: create(ProposalSchemaFor.promotion, { contractId: stringFlag(args, "contract", true), fromStage: enumFlag(args, "from", ContractStage), toStage: enumFlag(args, "to", ContractStage), reason }),
    };
    default: throw new OpmError("invalid_argument", `unknown proposal ${JSON.stringify(what ?? "")}; expected admit, revoke, admit-peer, revoke-peer, rotate, policy or promote`);
  }
}

/** Payload schemas of the proposal kinds. */
const ProposalSchemaFor = {
  admission: AdapterAdmissionSchema, revocation: AdapterRevocationSchema, rotation: GovernorRotationSchema, policy: PrivacyPolicyUpdateSchema, promotion: ContractPromotionSchema,
};

function showProposal(out: Output, p: Proposal): void {
  out.result(toJson(ProposalSchema, p), () => {
    const tallies = p.tallies.map((t) => `${t.have}/${t.need} ${t.governorSet}`).join(", ");
    const state = ProposalState[p.state].toLowerCase();
    return `proposal ${p.id}\n  ${p.kind} as entry ${p.entryIndex}: ${state}${p.state === ProposalState.APPLIED ? ` at index ${p.appliedIndex}` : tallies === "" ? "" : ` (${tallies})`}`;
  });
}

/** Signs the proposal's entry bytes with the governor's own key, here on the client, and submits it. */
async function approve(c: LedgerClient, me: Identity, p: Proposal): Promise<Proposal> {
  return (await c.approve({ proposalId: p.id, signature: signEntry(p.entry, me.keys) })).proposal!;
}

async function registerSelf(c: LedgerClient, me: Identity): Promise<void> {
  await c.registerGovernor({ publicKey: me.keys.publicKeyRaw });
}

/**
 * Offline: verifies an export from scratch. Exit 0 when it verifies, 1 naming the first
 * problem (entry index when an entry is at fault), 2 when the input cannot be read.
 */
async function verifyFile(args: ParsedArgs, out: Output): Promise<number> {
  const file = resolve(stringFlag(args, "file", true));
  if (!existsSync(file)) throw new OpmError("invalid_argument", `--file: ${file} does not exist`);
  const trusted = stringFlag(args, "trusted-checkpoint");
  const options = {
    ...(stringFlag(args, "log-key") ? { logKey: stringFlag(args, "log-key") } : {}),
    ...(trusted ? { trustedCheckpoint: readFileSync(resolve(trusted), "utf8") } : {}),
  };
  const bytes = new Uint8Array(readFileSync(file));
  const started = Date.now();
  try {
    const v = await verifyExport(bytes, options);
    out.result(
      { ok: true, file, size: v.size.toString(), rootHash: hex(v.rootHash), checkpoints: v.checkpoints, origin: v.latest.checkpoint.origin, governors: v.state.governorList(), threshold: v.state.governors.threshold, admittedAdapters: [...v.state.adapters.keys()], ms: Date.now() - started },
      () => `OK: ${v.size} entries, ${v.checkpoints} checkpoints, root ${hex(v.rootHash)} (${Date.now() - started} ms)`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    out.result(
      { ok: false, file, error: { reason: err.reason, message: err.message, ...(err.entryIndex === undefined ? {} : { entryIndex: err.entryIndex.toString() }) } },
      () => `FAILED: ${err.message}${err.entryIndex === undefined ? "" : ` (first bad entry: ${err.entryIndex})`}`,
    );
    return 1;
  }
}

/** `opm ledger …`: the governance ledger. */
export const ledgerCommand: Command = {
  name: "ledger",
  summary: "governance ledger: init, propose, approve, list, checkpoint, prove, verify, export",
  usage: USAGE,
  help: [
    "The governance ledger: an append-only Merkle log (RFC 9162, C2SP checkpoints) of what k-of-n governors",
    "approved — adapter admissions and revocations, privacy policies, contract promotions, governor rotations.",
    "Every subcommand but verify talks to a registry: --registry HOST:PORT --identity DIR (or OPM_REGISTRY,",
    "OPM_IDENTITY).",
  ].join("\n"),
  subcommands: SUBCOMMANDS,
  async run(argv) {
    const [sub, ...rest] = argv;
    const args = parseCommandArgs(rest, FLAGS);
    const out = createOutput(args.values.json === true);
    const [first, second] = args.positionals;
    switch (sub) {
      case "verify":
        return verifyFile(args, out);
      case "init": {
        const threshold = Number(bigFlag(args, "threshold") ?? 0n);
        const p = await withLedger(args, async (c) => (await c.init({ governors: governorFlags(args), threshold })).proposal!);
        showProposal(out, p);
        return 0;
      }
      case "propose": {
        const p = await withLedger(args, async (c, me) => {
          await registerSelf(c, me);
          const proposal = (await c.propose({ kind: await proposalKind(args, first, second, me) })).proposal!;
          return args.values.approve === true ? approve(c, me, proposal) : proposal;
        });
        showProposal(out, p);
        return 0;
      }
      case "approve": {
        if (first === undefined) throw new OpmError("invalid_argument", "usage: opm ledger approve PROPOSAL_ID --identity GOVERNOR_DIR");
        const p = await withLedger(args, async (c, me) => {
          await registerSelf(c, me);
          const found = (await c.listProposals({ proposalId: first })).proposals[0];
          if (found === undefined) throw new OpmError("not_found", `proposal ${first} does not exist`);
          return approve(c, me, found);
        });
        showProposal(out, p);
        return 0;
      }
      case "list": {
        if (args.values.proposals === true) {
          const list = await withLedger(args, async (c) => (await c.listProposals({})).proposals);
          out.result(list.map((p) => toJson(ProposalSchema, p)), () => list.map((p) => `${p.id.slice(0, 16)} ${p.kind} #${p.entryIndex} ${ProposalState[p.state].toLowerCase()} ${p.tallies.map((t) => `${t.have}/${t.need}`).join(" ")}`).join("\n") || "no proposals");
          return 0;
        }
        const r = await withLedger(args, (c) => c.listEntries({ fromIndex: bigFlag(args, "from") ?? 0n, limit: Number(bigFlag(args, "limit") ?? 100n) }));
        const rows = r.entries.map((e) => ({ index: e.index.toString(), leafHash: hex(e.leafHash), signatures: e.entry!.signatures.length, entry: hex(e.entry!.entry) }));
        out.result({ size: r.size.toString(), entries: rows }, () => [`${r.size} entries`, ...rows.map((e) => `#${e.index} leaf ${e.leafHash.slice(0, 16)} (${e.signatures} signatures)`)].join("\n"));
        return 0;
      }
      case "checkpoint": {
        const cp = await withLedger(args, (c) => c.getCheckpoint({}));
        out.result({ size: cp.size.toString(), origin: cp.origin, logKey: cp.logKey, note: cp.note }, () => cp.note === "" ? "no checkpoint yet (no genesis)" : cp.note);
        return 0;
      }
      case "prove": {
        const size = bigFlag(args, "size") ?? 0n;
        const result = await withLedger(args, async (c) => {
          const cpInfo = await c.getCheckpoint({});
          const verifier = Ed25519NoteVerifier.fromVerifierKey(cpInfo.logKey);
          const consistency = bigFlag(args, "consistency");
          if (consistency !== undefined) {
            const r = await c.proveConsistency({ fromSize: consistency, toSize: size });
            return { kind: "consistency", fromSize: r.fromSize.toString(), toSize: r.toSize.toString(), proof: r.proof.map(hex), checkpoint: r.checkpoint };
          }
          if (first === undefined || !/^\d+$/.test(first)) throw new OpmError("invalid_argument", "usage: opm ledger prove INDEX [--size N]");
          const r = await c.proveInclusion({ index: BigInt(first), treeSize: size });
          const cp = openCheckpoint(r.checkpoint, { origin: cpInfo.origin, logVerifier: verifier });
          const verified = r.treeSize === cp.checkpoint.size;
          if (verified) verifyInclusion(r.index, r.treeSize, r.leafHash, r.proof, cp.checkpoint.rootHash);
          return { kind: "inclusion", index: r.index.toString(), treeSize: r.treeSize.toString(), leafHash: hex(r.leafHash), proof: r.proof.map(hex), verifiedAgainstCheckpoint: verified, checkpoint: r.checkpoint };
        });
        out.result(result, (v) => JSON.stringify(v, null, 2));
        return 0;
      }
      case "export": {
        const file = resolve(stringFlag(args, "out", true));
        const maxBytes = Number(bigFlag(args, "page-bytes") ?? 0n);
        // Pages are appended to a temporary file, renamed into place only once complete:
        // an interrupted export never leaves a file that looks like a whole log.
        const partial = `${file}.partial`;
        writeFileSync(partial, new Uint8Array(), { mode: 0o644 });
        const { size, bytes, pages } = await withLedger(args, async (c) => {
          let [token, bytes, pages, size] = ["", 0, 0, 0n];
          do {
            const page = await c.export({ pageToken: token, maxBytes });
            appendFileSync(partial, page.export);
            [token, bytes, pages, size] = [page.nextPageToken, bytes + page.export.length, pages + 1, page.size];
          } while (token !== "");
          return { size, bytes, pages };
        });
        renameSync(partial, file);
        out.result({ file, size: size.toString(), bytes, pages }, () => `wrote ${size} entries (${bytes} bytes, ${pages} page(s)) to ${file}`);
        return 0;
      }
      default:
        throw new OpmError("invalid_argument", `unknown ledger subcommand ${JSON.stringify(sub ?? "")}; usage:\n      ${USAGE}`);
    }
  },
};

/** `--NAME N`: a signed whole number (0 when absent); invalid_argument naming the flag otherwise. */
function signedFlag(args: ParsedArgs, name: string): bigint {
  const text = stringFlag(args, name);
  if (text === undefined) return 0n;
  if (!/^-?\d{1,18}$/.test(text)) throw new OpmError("invalid_argument", `--${name}: ${JSON.stringify(text)} is not a whole number`);
  return BigInt(text);
}
