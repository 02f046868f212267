import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";

/**
 * A participant's private IR, addressed by SHA-256: the only place a private problem's
 * IR lives. `opm optimize` puts, the participant's own adapters get; the registry never
 * sees it. Files are written atomically and checked against their digest on read.
 */
export class IrStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Stores `bytes`; returns their digest. */
  put(bytes: Uint8Array): string {
    const digest = contentId(bytes);
    const path = join(this.dir, digest);
    if (!existsSync(path)) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes, { mode: 0o600 });
      renameSync(tmp, path);
    }
    return digest;
  }

  /** The IR with `digest`; throws not_found when absent, internal when the file was altered. */
  get(digest: string): Uint8Array {
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new OpmError("invalid_argument", `IR digest ${JSON.stringify(digest)} is not SHA-256 hex`);
    const path = join(this.dir, digest);
    if (!existsSync(path)) throw new OpmError("not_found", `IR ${digest} is not in the store ${this.dir}`);
    const bytes = readFileSync(path);
    if (contentId(bytes) !== digest) throw new OpmError("internal", `IR store file ${path} does not hash to its name`);
    return bytes;
  }

  has(digest: string): boolean {
    return existsSync(join(this.dir, digest));
  }
}
