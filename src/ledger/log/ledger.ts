import type { SignedLedgerEntry } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { CheckpointSigner } from "../checkpoint/checkpoint-signer.js";
import { parseNote } from "../checkpoint/note.js";
import { parseCheckpoint } from "../checkpoint/checkpoint.js";
import type { NoteSigner } from "../checkpoint/note-key.js";
import { badArgument } from "../errors.js";
import { decodeEntry, decodeSignedEntry, encodeSignedEntry } from "../governance/entry-codec.js";
import { GovernanceState } from "../governance/governance-state.js";
import { hashLeaf } from "../merkle/hasher.js";
import { consistencyProof, inclusionProof, rootAt } from "../merkle/proofs.js";
import { EXPORT_FIELD, EXPORT_FORMAT, ExportWriter } from "./export-format.js";
import { MemoryLedgerStore, type LedgerStore } from "./ledger-store.js";

/** Where an appended entry landed. */
export interface AppendResult {
  index: bigint;
  leafHash: Uint8Array;
}

/** An inclusion proof of one entry against the tree of `size` entries. */
export interface EntryInclusionProof {
  index: bigint;
  size: bigint;
  leafHash: Uint8Array;
  proof: Uint8Array[];
}

/** How to open or create a ledger. */
export interface LedgerOptions {
  /** Checkpoint origin line; must equal the genesis `log_origin`. */
  origin: string;
  /** The log's checkpoint key; its name should equal `origin`. */
  logSigner: NoteSigner & { verifierKey(): string };
  store?: LedgerStore;
}

/**
 * The governance ledger: effective entries only (each validated against the governance
 * state, thresholds included), a Merkle tree over them, and signed checkpoints. Writes
 * are serialized; the checkpoint signer refuses any checkpoint inconsistent with the
 * last one it signed.
 */
export class Ledger {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly origin: string,
    readonly store: LedgerStore,
    private governance: GovernanceState,
    private readonly signer: CheckpointSigner,
    private readonly logKey: string,
  ) {}

  /** Opens a ledger over `store`, replaying its entries (O(n), once at startup) and restoring the last signed checkpoint. */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const store = options.store ?? new MemoryLedgerStore();
    const state = new GovernanceState();
    const count = await store.entryCount();
    for (let from = 0n; from < count; from += 10_000n) {
      const to = from + 10_000n < count ? from + 10_000n : count;
      for (const [i, bytes] of (await store.getEntries(from, to)).entries()) {
        state.apply(decodeSignedEntry(bytes, from + BigInt(i)), hashLeaf(bytes));
      }
    }
    const notes = await store.checkpoints();
    const last = notes.length === 0 ? undefined : parseCheckpoint(parseNote(notes[notes.length - 1]!).text);
    const signer = new CheckpointSigner(options.origin, options.logSigner, last && { size: last.size, rootHash: last.rootHash });
    return new Ledger(options.origin, store, state, signer, options.logSigner.verifierKey());
  }

  /** A new ledger starting from `genesis` (requires an empty store); signs checkpoint 1. */
  static async create(options: LedgerOptions, genesis: SignedLedgerEntry): Promise<Ledger> {
    const kind = decodeEntry(genesis.entry, 0n).kind;
    if (kind.case !== "genesis" || kind.value.logOrigin !== options.origin) {
      const got = kind.case === "genesis" ? JSON.stringify(kind.value.logOrigin) : `a ${kind.case ?? "empty"} entry`;
      throw badArgument(`genesis must name log_origin ${JSON.stringify(options.origin)}, got ${got}`);
    }
    const ledger = await Ledger.open(options);
    if (ledger.size !== 0n) throw badArgument(`store already holds ${ledger.size} entries`);
    await ledger.append(genesis);
    await ledger.checkpoint();
    return ledger;
  }

  /** Current governance state (read-only by convention; replaced on every append). */
  get state(): GovernanceState {
    return this.governance;
  }

  get size(): bigint {
    return this.governance.size;
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Appends one effective entry; see appendBatch. */
  async append(entry: SignedLedgerEntry): Promise<AppendResult> {
    return (await this.appendBatch([entry]))[0]!;
  }

  /**
   * Validates every entry in order against a copy of the state (chain, payload,
   * thresholds) and appends all of them atomically, or none: the error names the
   * first entry that failed.
   */
  appendBatch(entries: readonly SignedLedgerEntry[]): Promise<AppendResult[]> {
    return this.serialize(async () => {
      const next = this.governance.clone();
      const bytes = entries.map(encodeSignedEntry);
      const results = bytes.map((b, i) => {
        const index = next.size;
        return { index, leafHash: next.apply(entries[i]!, hashLeaf(b)) };
      });
      await this.store.appendEntries(bytes, results.map((r) => r.leafHash));
      this.governance = next;
      return results;
    });
  }

  /**
   * Signs, stores and returns a checkpoint note for the current size. Idempotent: when
   * the last checkpoint already has this size, returns it instead of signing a duplicate
   * (exports require strictly increasing checkpoint sizes).
   */
  checkpoint(extensions: string[] = []): Promise<string> {
    return this.serialize(async () => {
      const size = this.size;
      const last = this.signer.lastSigned?.size ?? 0n;
      const latest = (await this.store.checkpoints()).at(-1);
      if (latest !== undefined && this.signer.lastSigned?.size === size) return latest;
      const note = this.signer.sign(size, await rootAt(this.store.tree, size), await consistencyProof(this.store.tree, last, size), extensions);
      await this.store.appendCheckpoint(note);
      return note;
    });
  }

  /** The entry at `index` as stored. Requires 0 <= index < size. */
  async entry(index: bigint): Promise<SignedLedgerEntry> {
    if (index < 0n || index >= this.size) throw badArgument(`index ${index} >= size ${this.size}`, "index");
    return decodeSignedEntry((await this.store.getEntries(index, index + 1n))[0]!, index);
  }

  /** Inclusion proof of entry `index` in the tree of `size` entries (default: current). Requires index < size <= this.size. */
  async proveInclusion(index: bigint, size: bigint = this.size): Promise<EntryInclusionProof> {
    const proof = await inclusionProof(this.store.tree, index, size);
    const [leafHash] = await this.store.tree.getNodes([{ level: 0, index }]);
    return { index, size, leafHash: leafHash!, proof };
  }

  /** Consistency proof between sizes; requires 0 <= size1 <= size2 <= this.size. */
  proveConsistency(size1: bigint, size2: bigint = this.size): Promise<Uint8Array[]> {
    return consistencyProof(this.store.tree, size1, size2);
  }

  /**
   * The whole log as one self-contained `LedgerExport` protobuf file. Signs a fresh
   * checkpoint first when entries were appended since the last one, so the export's
   * last checkpoint always covers every entry.
   */
  async export(): Promise<Uint8Array> {
    if ((this.signer.lastSigned?.size ?? -1n) !== this.size) await this.checkpoint();
    return this.serialize(async () => {
      const w = new ExportWriter()
        .string(EXPORT_FIELD.format, EXPORT_FORMAT)
        .string(EXPORT_FIELD.origin, this.origin)
        .string(EXPORT_FIELD.logKey, this.logKey);
      const count = await this.store.entryCount();
      for (let from = 0n; from < count; from += 10_000n) {
        const to = from + 10_000n < count ? from + 10_000n : count;
        for (const bytes of await this.store.getEntries(from, to)) w.field(EXPORT_FIELD.entry, bytes);
      }
      for (const note of await this.store.checkpoints()) w.checkpoint(note);
      return w.finish();
    });
  }

  /** The latest signed checkpoint note, if any. */
  async latestCheckpoint(): Promise<string | undefined> {
    const notes = await this.store.checkpoints();
    return notes.at(-1);
  }
}

