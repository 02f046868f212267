import { createHash } from "node:crypto";
import { uniformBelowFromBytes, type RandomSource } from "./random-source.js";

/**
 * TESTS AND BENCHMARK REPLAYS ONLY — never a release: anyone who knows the seed knows the
 * noise. A deterministic source: the byte stream SHA-256(seed ‖ counter as 8 bytes, big
 * endian) for counter = 0, 1, 2, …, read through the same rejection sampling as production.
 * Not re-exported from `privacy/index.ts` on purpose.
 */
export function seededRandomSource(seed: string): RandomSource {
  const seedBytes = Buffer.from(seed, "utf8");
  let counter = 0n;
  let block = Buffer.alloc(0);
  let offset = 0;
  const nextBytes = (count: number): Uint8Array => {
    const out = Buffer.alloc(count);
    for (let i = 0; i < count; i++) {
      if (offset === block.length) {
        const c = Buffer.alloc(8);
        c.writeBigUInt64BE(counter++);
        block = createHash("sha256").update(seedBytes).update(c).digest();
        offset = 0;
      }
      out[i] = block[offset++]!;
    }
    return out;
  };
  return { uniformBelow: (bound) => uniformBelowFromBytes(bound, nextBytes) };
}
