import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  deltaExportBatches,
  deltaExportCheckpoint,
  deltaExportHeader,
  Ed25519NoteVerifier,
  newDeltaTrust,
  type DeltaTrust,
  type OpenedBatch,
} from "../../ledger/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { frontierFromJson, frontierToJson, type PeerStore } from "./peer-store.js";

/**
 * A verified mirror of one peer's delta log in a directory (`opm sync`): `batches.bin`
 * (the batches as export records, appended and fsynced) and `trust.json` (the trust state
 * and the length of `batches.bin` it covers, replaced atomically). A pull killed between
 * the two leaves a tail that `load` cuts off, so a batch is kept once. `writeExport`
 * assembles an export file `opm replay` reads.
 */
export class FilePeerStore implements PeerStore {
  private readonly batchesPath: string;
  private readonly trustPath: string;

  constructor(readonly dir: string, private readonly logKey: string) {
    mkdirSync(dir, { recursive: true });
    this.batchesPath = join(dir, "batches.bin");
    this.trustPath = join(dir, "trust.json");
  }

  async load(): Promise<DeltaTrust> {
    if (!existsSync(this.trustPath)) {
      writeFileSync(this.batchesPath, new Uint8Array());
      return newDeltaTrust(this.logKey);
    }
    const t = JSON.parse(readFileSync(this.trustPath, "utf8")) as { logKey: string; trustedNote: string; appliedSize: string; frontier: string; lastLeafHash: string; bytes: number };
    if (t.logKey !== this.logKey) throw new OpmError("failed_precondition", `mirror ${this.dir} is pinned to key ${t.logKey}, not ${this.logKey}`);
    if (!existsSync(this.batchesPath) || statSync(this.batchesPath).size < t.bytes) throw new OpmError("failed_precondition", `mirror ${this.dir}: batches.bin is shorter than trust.json says`);
    truncateSync(this.batchesPath, t.bytes);
    return {
      logKey: t.logKey, ...(t.trustedNote === "" ? {} : { trustedNote: t.trustedNote }), appliedSize: BigInt(t.appliedSize),
      frontier: frontierFromJson(t.frontier), lastLeafHash: Uint8Array.from(Buffer.from(t.lastLeafHash, "hex")),
    };
  }

  async apply(before: DeltaTrust, opened: readonly OpenedBatch[], after: DeltaTrust): Promise<void> {
    const current = await this.load();
    if (current.appliedSize !== before.appliedSize) throw new OpmError("failed_precondition", `mirror ${this.dir}: applied size moved since ${before.appliedSize}`);
    const fd = openSync(this.batchesPath, "a");
    try {
      writeSync(fd, deltaExportBatches(opened.map((b) => b.bytes)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const tmp = `${this.trustPath}.tmp`;
    writeFileSync(tmp, JSON.stringify({
      logKey: after.logKey, trustedNote: after.trustedNote ?? "", appliedSize: after.appliedSize.toString(), frontier: frontierToJson(after.frontier),
      lastLeafHash: Buffer.from(after.lastLeafHash).toString("hex"), bytes: statSync(this.batchesPath).size,
    }));
    renameSync(tmp, this.trustPath);
  }

  /** Writes the mirror as one delta export file (header, batches, the trusted checkpoint). */
  writeExport(file: string): void {
    const t = JSON.parse(readFileSync(this.trustPath, "utf8")) as { trustedNote: string; bytes: number };
    const origin = Ed25519NoteVerifier.fromVerifierKey(this.logKey).name;
    const batches = readFileSync(this.batchesPath).subarray(0, t.bytes);
    writeFileSync(`${file}.partial`, Buffer.concat([deltaExportHeader(origin, this.logKey), batches, deltaExportCheckpoint(t.trustedNote)]));
    renameSync(`${file}.partial`, file);
  }
}
