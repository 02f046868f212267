import { fromBase64Strict, toBase64 } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { HASH_SIZE } from "../merkle/hasher.js";
import { MAX_TREE_SIZE } from "../merkle/tree-size.js";

/** The body of a C2SP tlog-checkpoint: a log's tree head at one size. */
export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** Optional extension lines (non-empty, without newline). */
  extensions: string[];
}

const malformed = (msg: string) => new LedgerError("malformed_checkpoint", msg);

/**
 * The checkpoint note text `<origin>\n<size>\n<base64 root>\n[<ext>\n…]`. Requires a
 * non-empty origin and extension lines without newlines, a size in [0, 2^64) and a
 * 32-byte root; throws malformed_checkpoint naming the bad part otherwise.
 */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || cp.origin.includes("\n")) throw malformed(`origin ${JSON.stringify(cp.origin)} must be one non-empty line`);
  if (cp.size < 0n || cp.size > MAX_TREE_SIZE) throw malformed(`size ${cp.size} outside [0, 2^64)`);
  if (cp.rootHash.length !== HASH_SIZE) throw malformed(`root hash has ${cp.rootHash.length} bytes, want ${HASH_SIZE}`);
  for (const ext of cp.extensions) {
    if (ext.length === 0 || ext.includes("\n")) throw malformed(`extension line ${JSON.stringify(ext)} must be one non-empty line`);
  }
  return [cp.origin, cp.size.toString(), toBase64(cp.rootHash), ...cp.extensions].map((l) => `${l}\n`).join("");
}

/**
 * Parses checkpoint note text strictly: at least three non-empty lines ending in a
 * newline, a decimal size without leading zeros below 2^64, a strict base64 32-byte
 * root. Throws malformed_checkpoint.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw malformed("checkpoint does not end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw malformed(`checkpoint has ${lines.length} lines, need at least 3`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw malformed("checkpoint origin is empty");
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeText)) throw malformed(`checkpoint size ${JSON.stringify(sizeText)} is not a decimal without leading zeros`);
  const size = BigInt(sizeText);
  if (size > MAX_TREE_SIZE) throw malformed(`checkpoint size ${sizeText} >= 2^64`);
  const rootHash = fromBase64Strict(rootText);
  if (rootHash === undefined) throw malformed(`checkpoint root ${JSON.stringify(rootText)} is not valid base64`);
  if (rootHash.length !== HASH_SIZE) throw malformed(`checkpoint root has ${rootHash.length} bytes, want ${HASH_SIZE}`);
  if (extensions.some((e) => e.length === 0)) throw malformed("checkpoint has an empty extension line");
  return { origin, size, rootHash, extensions };
}
