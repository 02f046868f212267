import type { ScalarKind } from "./read-function-signature.js";

/**
 * Argument values as the harness takes them: 64-bit slots. Integers are their bits
 * (sign-extended), floats and doubles their IEEE bits; a pointer slot says which buffer
 * to pass: `0n` null, `1n` zero-filled, any other value the seed of pseudo-random bytes.
 */
export type ArgumentSlots = bigint[];

/** Bytes of the buffer the harness passes for a non-null pointer argument. */
export const BUFFER_BYTES = 256;

const MASK64 = (1n << 64n) - 1n;

const FLOAT_EDGES = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e-40, 3.4028234663852886e38, -2.5, 100];
const DOUBLE_EDGES = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, -2.5, 100];

/**
 * `calls` argument lists for parameters of `kinds`, the same for the same `seed` and
 * `name`: integers mostly small (sizes and indices stay inside the buffers), else an
 * edge value (0, ±1, the minimum and maximum) or any value of their width; floats and
 * doubles likewise (±0, NaN, ±inf, a subnormal, the largest finite value); pointers
 * null one time in eight, else a fresh buffer of zeros or of pseudo-random bytes.
 */
export function generateArguments(kinds: readonly ScalarKind[], calls: number, seed: number, name: string): ArgumentSlots[] {
  const next = splitMix64(BigInt(seed >>> 0) ^ (fnv1a(name) << 32n));
  const pick = <T>(values: readonly T[]): T => values[Number(next() % BigInt(values.length))]!;
  const chance = (): number => Number(next() >> 11n) / 2 ** 53;
  const lists: ArgumentSlots[] = [];
  for (let c = 0; c < calls; c++) {
    lists.push(kinds.map((k): bigint => {
      const r = chance();
      switch (k.kind) {
        case "int": {
          const min = -(1n << BigInt(k.bits - 1));
          const max = (1n << BigInt(k.bits - 1)) - 1n;
          if (k.bits === 1) return r < 0.5 ? 0n : 1n;
          if (r < 0.25) return slot(pick([0n, 1n, -1n, 2n, -2n, min, max, min + 1n, max - 1n]));
          if (r < 0.75) return slot(BigInt(Math.floor(chance() * 81) - 16));
          return slot(BigInt.asIntN(k.bits, next()));
        }
        case "float":
        case "double": {
          const v = r < 0.4 ? pick(k.kind === "float" ? FLOAT_EDGES : DOUBLE_EDGES) : r < 0.7 ? Math.floor(chance() * 81) - 16 : (chance() - 0.5) * 2000;
          return floatBits(k.kind, v);
        }
        case "pointer":
          return r < 0.125 ? 0n : r < 0.5 ? 1n : 2n + (next() & 0xffff_ffffn);
      }
    }));
  }
  return lists;
}

/** How an argument reads in evidence: `i32 -1`, `double -0`, `ptr null`, `ptr → 256 zero bytes`. */
export function describeArgument(k: ScalarKind, value: bigint): string {
  switch (k.kind) {
    case "int":
      return `i${k.bits} ${BigInt.asIntN(k.bits, value)}`;
    case "float":
    case "double":
      return `${k.kind} ${formatFloat(k.kind, value)}`;
    case "pointer":
      return value === 0n ? "ptr null" : value === 1n ? `ptr → ${BUFFER_BYTES} zero bytes` : `ptr → ${BUFFER_BYTES} pseudo-random bytes (xorshift seed ${value})`;
  }
}

/** A float's or double's bits as a number (`-0`, `NaN`, `1.5`). */
export function formatFloat(kind: "float" | "double", bits: bigint): string {
  const view = new DataView(new ArrayBuffer(8));
  if (kind === "float") view.setUint32(0, Number(bits & 0xffff_ffffn));
  else view.setBigUint64(0, bits & MASK64);
  const v = kind === "float" ? view.getFloat32(0) : view.getFloat64(0);
  return Object.is(v, -0) ? "-0" : String(v);
}

function floatBits(kind: "float" | "double", v: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  if (kind === "float") {
    view.setFloat32(0, v);
    return BigInt(view.getUint32(0));
  }
  view.setFloat64(0, v);
  return view.getBigUint64(0);
}

/** A value's two's-complement bits in a 64-bit slot. */
function slot(v: bigint): bigint {
  return v & MASK64;
}

function splitMix64(seed: bigint): () => bigint {
  let state = seed & MASK64;
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
}

function fnv1a(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & MASK64;
  return h & 0xffff_ffffn;
}
