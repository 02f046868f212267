import type { LlvmType } from "./read-llvm-constant.js";

/** The parts of a `target datalayout` string that sizes and alignments depend on (bytes). */
export interface DataLayout {
  /** Per address space: pointer size and ABI alignment. */
  pointers: Map<number, { size: bigint; align: bigint }>;
  /** Integer widths (bits) with an ABI alignment, ascending. */
  ints: [number, bigint][];
  floats: Map<number, bigint>;
  vectors: Map<number, bigint>;
}

/** Size and ABI alignment in bytes; `size` is the allocation size (the stride of an array). */
export interface TypeLayout {
  size: bigint;
  align: bigint;
}

/**
 * Reads the `p`, `i`, `f` and `v` specifications of a data layout over LLVM 14's
 * defaults (`DataLayout::reset`): pointers 64:64, i64 aligned to 4 unless stated…
 */
export function readDataLayout(text: string | undefined): DataLayout {
  const ints = new Map<number, bigint>([[1, 1n], [8, 1n], [16, 2n], [32, 4n], [64, 4n]]);
  const dl: DataLayout = {
    pointers: new Map([[0, { size: 8n, align: 8n }]]),
    ints: [],
    floats: new Map([[16, 2n], [32, 4n], [64, 8n], [128, 16n]]),
    vectors: new Map([[64, 8n], [128, 16n]]),
  };
  for (const spec of (text ?? "").split("-")) {
    const [head = "", abi] = spec.split(":");
    const bytes = (bits: string | undefined): bigint | undefined => (bits !== undefined && /^\d+$/.test(bits) ? BigInt(bits) / 8n : undefined);
    const p = /^p(\d*)$/.exec(head);
    const m = /^([ifv])(\d+)$/.exec(head);
    if (p) {
      const [, size, align] = spec.split(":");
      const s = bytes(size);
      const a = bytes(align);
      if (s !== undefined && a !== undefined) dl.pointers.set(Number(p[1] || "0"), { size: s, align: a });
    } else if (m && bytes(abi) !== undefined) {
      const table = m[1] === "i" ? ints : m[1] === "f" ? dl.floats : dl.vectors;
      table.set(Number(m[2]), bytes(abi)!);
    }
  }
  dl.ints = [...ints.entries()].sort((a, b) => a[0] - b[0]);
  return dl;
}

const FLOAT_BITS: Readonly<Record<string, number>> = { half: 16, bfloat: 16, float: 32, double: 64, x86_fp80: 80, fp128: 128, ppc_fp128: 128 };

/**
 * The layout of `type` as LLVM 14's `DataLayout` computes it (`getTypeAllocSize`,
 * `getABITypeAlign`); `resolve` gives a named type's body. Undefined for types
 * without a size (opaque, scalable, function, void) or an unknown name.
 */
export function typeLayout(type: LlvmType, dl: DataLayout, resolve: (name: string) => LlvmType | undefined, depth = 0): TypeLayout | undefined {
  if (depth > 64) return undefined;
  const sized = (storeBytes: bigint, align: bigint): TypeLayout => ({ size: alignTo(storeBytes, align), align });
  switch (type.kind) {
    case "int": {
      // No exact entry: the next wider integer's alignment, else the widest's (LLVM's rule).
      const align = dl.ints.find(([bits]) => bits >= type.bits)?.[1] ?? dl.ints[dl.ints.length - 1]?.[1] ?? 1n;
      return sized(BigInt(Math.ceil(type.bits / 8)), align);
    }
    case "float": {
      const bits = FLOAT_BITS[type.name];
      if (bits === undefined) return undefined;
      const store = BigInt(Math.ceil(bits / 8));
      return sized(store, dl.floats.get(bits) ?? powerOf2Ceil(store));
    }
    case "pointer": {
      const p = dl.pointers.get(type.addrspace) ?? dl.pointers.get(0)!;
      return sized(p.size, p.align);
    }
    case "array": {
      const e = typeLayout(type.element, dl, resolve, depth + 1);
      return e === undefined ? undefined : { size: e.size * BigInt(type.count), align: e.align };
    }
    case "vector": {
      if (type.scalable) return undefined;
      const e = type.element;
      const bits = e.kind === "int" ? e.bits : e.kind === "float" ? FLOAT_BITS[e.name] : e.kind === "pointer" ? Number(typeLayout(e, dl, resolve)!.size) * 8 : undefined;
      if (bits === undefined) return undefined;
      const totalBits = bits * type.count;
      const store = BigInt(Math.ceil(totalBits / 8));
      return sized(store, dl.vectors.get(totalBits) ?? powerOf2Ceil(store));
    }
    case "struct": {
      const s = structLayout(type, dl, resolve, depth);
      return s === undefined ? undefined : { size: s.size, align: s.align };
    }
    case "named": {
      const body = resolve(type.name);
      return body === undefined ? undefined : typeLayout(body, dl, resolve, depth + 1);
    }
    default:
      return undefined;
  }
}

/** Field offsets, size and alignment of a struct (packed: no padding, alignment 1). */
export function structLayout(
  type: Extract<LlvmType, { kind: "struct" }>,
  dl: DataLayout,
  resolve: (name: string) => LlvmType | undefined,
  depth = 0,
): (TypeLayout & { offsets: bigint[] }) | undefined {
  const offsets: bigint[] = [];
  let offset = 0n;
  let align = 1n;
  for (const f of type.fields) {
    const l = typeLayout(f, dl, resolve, depth + 1);
    if (l === undefined) return undefined;
    const a = type.packed ? 1n : l.align;
    offset = alignTo(offset, a);
    offsets.push(offset);
    offset += l.size;
    if (a > align) align = a;
  }
  return { offsets, size: alignTo(offset, align), align };
}

/**
 * The byte offset `getelementptr (source, p, indices…)` adds to `p`: the first index
 * steps over whole `source`s, the others descend into arrays, vectors and structs.
 * Indices are the signed values (LLVM sign-extends them to the index width).
 * Undefined when a layout is unknown or a struct index is out of range.
 */
export function gepOffset(source: LlvmType, indices: readonly bigint[], dl: DataLayout, resolve: (name: string) => LlvmType | undefined): bigint | undefined {
  const [first, ...rest] = indices;
  if (first === undefined) return 0n;
  const whole = typeLayout(source, dl, resolve);
  if (whole === undefined) return undefined;
  let offset = first * whole.size;
  let current: LlvmType | undefined = source;
  for (const index of rest) {
    while (current?.kind === "named") current = resolve(current.name);
    if (current === undefined) return undefined;
    if (current.kind === "struct") {
      const s = structLayout(current, dl, resolve);
      const field: LlvmType | undefined = current.fields[Number(index)];
      if (s === undefined || field === undefined || index < 0n) return undefined;
      offset += s.offsets[Number(index)]!;
      current = field;
    } else if (current.kind === "array" || current.kind === "vector") {
      const e = typeLayout(current.element, dl, resolve);
      if (e === undefined) return undefined;
      offset += index * e.size;
      current = current.element;
    } else {
      return undefined;
    }
  }
  return offset;
}

function alignTo(n: bigint, align: bigint): bigint {
  return align <= 1n ? n : ((n + align - 1n) / align) * align;
}

function powerOf2Ceil(n: bigint): bigint {
  let p = 1n;
  while (p < n) p *= 2n;
  return p;
}
