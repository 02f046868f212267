import { create, fromBinary, toBinary, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DeltaBatchSchema, SignedDeltaBatchSchema } from "../../gen/openpassmarket/v1/sync_pb.js";
import { scanCanonical } from "./canonical-scan.js";

/** What the scan must decide: the bytes decode (unknown fields dropped) and re-encode to themselves. */
function roundTrip(schema: DescMessage, bytes: Uint8Array): boolean {
  try {
    return Buffer.from(toBinary(schema, fromBinary(schema, bytes, { readUnknownFields: false }))).equals(bytes);
  } catch {
    return false;
  }
}

/** A small deterministic generator (mulberry32), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scalarValue(type: ScalarType, r: () => number): unknown {
  const pick = r();
  switch (type) {
    case ScalarType.STRING: return pick < 0.2 ? "" : pick < 0.3 ? "é✓" : `s${Math.floor(r() * 1e6)}`;
    case ScalarType.BYTES: return pick < 0.2 ? new Uint8Array() : Uint8Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256));
    case ScalarType.BOOL: return pick < 0.5;
    case ScalarType.INT32: return pick < 0.2 ? 0 : pick < 0.4 ? -Math.floor(r() * 2 ** 31) : Math.floor(r() * 2 ** 31);
    case ScalarType.UINT32: return pick < 0.2 ? 0 : Math.floor(r() * 2 ** 32);
    case ScalarType.INT64: return pick < 0.2 ? 0n : pick < 0.4 ? -BigInt(Math.floor(r() * 2 ** 53)) : BigInt(Math.floor(r() * 2 ** 53));
    case ScalarType.UINT64: return pick < 0.2 ? 0n : pick < 0.3 ? 2n ** 64n - 1n : BigInt(Math.floor(r() * 2 ** 53));
    default: return undefined;
  }
}

/** A random message of `schema`: every field set or not, lists of 0–3, oneofs one member. */
function randomMessage(schema: DescMessage, r: () => number, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const value = (f: DescField): unknown => {
    if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) {
      return depth > 2 ? create(f.message!) : create(f.message!, randomMessage(f.message!, r, depth + 1));
    }
    if (f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind === "enum")) {
      const values = f.enum!.values;
      return r() < 0.1 ? 99 : values[Math.floor(r() * values.length)]!.number;
    }
    return scalarValue(f.scalar!, r);
  };
  for (const f of schema.fields) {
    if (r() < 0.3) continue;
    if (f.oneof !== undefined) {
      if (init[f.oneof.localName] === undefined) init[f.oneof.localName] = { case: f.localName, value: value(f) };
      continue;
    }
    init[f.localName] = f.fieldKind === "list" ? Array.from({ length: Math.floor(r() * 4) }, () => value(f)) : value(f);
  }
  return init;
}

/** A mutation of a valid encoding: a byte changed, dropped, inserted, or a span repeated or moved. */
function mutate(bytes: Uint8Array, r: () => number): Uint8Array {
  const out = Array.from(bytes);
  const at = Math.floor(r() * Math.max(1, out.length));
  const kind = Math.floor(r() * 6);
  if (kind === 0 && out.length > 0) out[at] = Math.floor(r() * 256);
  else if (kind === 1 && out.length > 0) out.splice(at, 1);
  else if (kind === 2) out.splice(at, 0, Math.floor(r() * 256));
  else if (kind === 3 && out.length > 0) out[at] = out[at]! ^ (1 << Math.floor(r() * 8));
  else {
    const from = Math.floor(r() * out.length);
    const span = out.slice(from, from + 1 + Math.floor(r() * 12));
    if (kind === 4) out.splice(Math.floor(r() * out.length), 0, ...span);
    else out.splice(from, span.length) && out.splice(Math.floor(r() * out.length), 0, ...span);
  }
  return Uint8Array.from(out);
}

async function generatedSchemas(): Promise<DescMessage[]> {
  const dir = join(import.meta.dirname, "../../gen/openpassmarket/v1");
  const out: DescMessage[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith("_pb.ts"))) {
    const mod = (await import(join(dir, file))) as Record<string, unknown>;
    for (const v of Object.values(mod)) if ((v as DescMessage | undefined)?.kind === "message") out.push(v as DescMessage);
  }
  return out;
}

describe("scanCanonical", () => {
  it("decides exactly what the decode/re-encode round trip decides, on every scannable contract message", async () => {
    const schemas = (await generatedSchemas()).filter((s) => scanCanonical(s, new Uint8Array()) !== undefined);
    // The delta log's messages must be scannable: that is what the scan is for.
    expect(schemas).toContain(DeltaBatchSchema);
    expect(schemas).toContain(SignedDeltaBatchSchema);
    expect(schemas.length).toBeGreaterThan(10);
    const r = rng(15);
    let canonical = 0;
    let refused = 0;
    for (const schema of schemas) {
      for (let i = 0; i < 60; i++) {
        const valid = toBinary(schema, create(schema, randomMessage(schema, r, 0)));
        expect(scanCanonical(schema, valid), `${schema.typeName} #${i}`).toBe(true);
        canonical++;
        for (let m = 0; m < 8; m++) {
          const bytes = mutate(valid, r);
          const expected = roundTrip(schema, bytes);
          expect(scanCanonical(schema, bytes), `${schema.typeName} #${i}.${m}: ${Buffer.from(bytes).toString("hex")}`).toBe(expected);
          if (!expected) refused++;
        }
      }
    }
    // The mutations must exercise refusals, not only harmless changes.
    expect(refused).toBeGreaterThan(canonical);
  });

  it("refuses the non-canonical forms a lenient decoder accepts", () => {
    const batch = toBinary(DeltaBatchSchema, create(DeltaBatchSchema, { origin: "o", sequence: 5n, changes: [{ kind: "k", key: "a", value: new Uint8Array([1]) }] }));
    expect(scanCanonical(DeltaBatchSchema, batch)).toBe(true);
    const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"));
    expect(scanCanonical(DeltaBatchSchema, hex("1085"+"00"))).toBe(false); // sequence 5 as a two-byte varint
    expect(scanCanonical(DeltaBatchSchema, hex("1000"))).toBe(false); // sequence 0 written out
    expect(scanCanonical(DeltaBatchSchema, hex("10050a016f"))).toBe(false); // fields out of order
    expect(scanCanonical(DeltaBatchSchema, hex("0a016f0a016f"))).toBe(false); // a singular field twice
    expect(scanCanonical(DeltaBatchSchema, hex("0a02c328"))).toBe(false); // origin not UTF-8
    expect(scanCanonical(DeltaBatchSchema, hex("7801"))).toBe(false); // unknown field 15
    expect(scanCanonical(DeltaBatchSchema, hex("0a05"))).toBe(false); // length past the end
  });

  it("leaves schemas it cannot scan to the round trip", async () => {
    const unscannable = (await generatedSchemas()).filter((s) => scanCanonical(s, new Uint8Array()) === undefined);
    for (const s of unscannable) {
      const kinds = s.fields.map((f) => (f.fieldKind === "scalar" ? f.scalar : f.fieldKind));
      expect(s.oneofs.length > 0 || kinds.some((k) => k === "map" || k === "list" || k === "message" || (typeof k === "number" && ![ScalarType.STRING, ScalarType.BYTES, ScalarType.BOOL, ScalarType.INT32, ScalarType.INT64, ScalarType.UINT32, ScalarType.UINT64].includes(k))), s.typeName).toBe(true);
    }
  });
});
