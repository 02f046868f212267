import { gepOffset, readDataLayout, typeLayout, type DataLayout } from "./llvm-type-layout.js";
import { readLlvmConstant, readTypedLlvmConstant, readTypeValue, type LlvmConstant, type LlvmType } from "./read-llvm-constant.js";
import { isExported, type ModuleInterface, type ModuleSymbol } from "./read-module-interface.js";

/** One module's side of a comparison: its symbols, its named types (parsed once) and its layout. */
class Side {
  readonly layout: DataLayout;
  private readonly parsed = new Map<string, LlvmType | undefined>();
  readonly resolve = (name: string): LlvmType | undefined => {
    if (!this.parsed.has(name)) {
      const body = this.module.types?.get(name);
      this.parsed.set(name, body === undefined ? undefined : readTypeValue(body));
    }
    return this.parsed.get(name);
  };

  constructor(readonly module: ModuleInterface) {
    this.layout = readDataLayout(module.datalayout);
  }

  symbol(name: string): ModuleSymbol | undefined {
    return this.module.symbols.get(name);
  }

  /** A global's or alias's initial value as a constant; undefined when it cannot be read. */
  valueOf(s: ModuleSymbol): LlvmConstant | undefined {
    if (s.initializer === undefined || s.initializer === "") return undefined;
    return s.kind === "alias" ? readTypedLlvmConstant(s.initializer) : readLlvmConstant(s.type, s.initializer);
  }
}

/** A pointer constant evaluated: a symbol (or null) plus a byte offset. */
interface Address {
  base: string | null;
  offset: bigint;
  /** Some `getelementptr inbounds` on the way: poison unless the address stays inside its object. */
  inbounds: boolean;
}

/**
 * Compares the constants of two modules by what they mean, not how they are written
 * (`compareModuleInterfaces` uses it for types and initial values):
 * - types: named types by their bodies; pointers by address space only (`i8*` ≡ `ptr`);
 * - integers by value in their width; GEP indices by their sign-extended value
 *   (`i32 -1` ≡ `i64 -1`);
 * - pointers by the address they denote, `@symbol + byte offset` under the data layout:
 *   `bitcast` chains, `getelementptr` with or without `inbounds` (AFTER's `inbounds`
 *   is accepted only inside the object), GEP-of-GEP and different index types agree
 *   when the address does;
 * - `zeroinitializer` ≡ `null` ≡ an aggregate of zeros (not `-0.0`); `c"…"` ≡ `[N x i8]`;
 * - BEFORE's `undef`/`poison` may become any value (a refinement), never the reverse;
 * - a pointer to a local (private/internal) global compares that global's value too; it
 *   may point to a differently named copy only when BEFORE's is an `unnamed_addr`
 *   constant (what `constmerge` merges). Other symbols must keep their names.
 * What it cannot read (unknown syntax, unknown layouts) is compared as written.
 */
export class ConstantComparison {
  private readonly b: Side;
  private readonly a: Side;
  /** Local symbol pairs `before\0after`: `undefined` once the same (or while being compared: cycles), else why not. */
  private readonly symbolPairs = new Map<string, string | undefined>();

  constructor(before: ModuleInterface, after: ModuleInterface) {
    this.b = new Side(before);
    this.a = new Side(after);
  }

  /** True when the two type texts denote the same type (as written, when either is unreadable). */
  sameTypeText(before: string, after: string): boolean {
    // A named type written the same may still have another body.
    if (before === after && !before.includes("%")) return true;
    const bt = readTypeValue(before);
    const at = readTypeValue(after);
    if (bt === undefined || at === undefined) return before === after;
    return this.sameType(bt, at);
  }

  /**
   * Why the initial value (or aliasee) of `after` differs in meaning from that of
   * `before`: `""` when the whole values differ, else where and why (`at [1]: \`…\`
   * became \`…\` (address @.str + 0 became @.str + 1)`); undefined when they mean the same.
   */
  initializerDifference(before: ModuleSymbol, after: ModuleSymbol): string | undefined {
    const bText = before.initializer ?? "";
    const aText = after.initializer ?? "";
    // Text without symbols can only mean one thing when written the same.
    if (bText === aText && !bText.includes("@")) return undefined;
    const bv = this.b.valueOf(before);
    const av = this.a.valueOf(after);
    if (bv === undefined || av === undefined) return bText === aText ? undefined : "compared as written";
    return this.valueDifference(bv, av, "");
  }

  private sameType(bt: LlvmType, at: LlvmType, depth = 0): boolean {
    if (depth > 64) return false;
    const next = (x: LlvmType, y: LlvmType): boolean => this.sameType(x, y, depth + 1);
    if (bt.kind === "named" || at.kind === "named") {
      const x = bt.kind === "named" ? this.b.resolve(bt.name) : bt;
      const y = at.kind === "named" ? this.a.resolve(at.name) : at;
      // Opaque or unknown named types: the same only by name.
      if (x === undefined || y === undefined) return bt.kind === "named" && at.kind === "named" && bt.name === at.name;
      return next(x, y);
    }
    switch (bt.kind) {
      case "int":
        return at.kind === "int" && at.bits === bt.bits;
      case "float":
      case "other":
        return at.kind === bt.kind && at.name === bt.name;
      case "pointer":
        return at.kind === "pointer" && at.addrspace === bt.addrspace;
      case "array":
        return at.kind === "array" && at.count === bt.count && next(bt.element, at.element);
      case "vector":
        return at.kind === "vector" && at.count === bt.count && at.scalable === bt.scalable && next(bt.element, at.element);
      case "struct":
        return at.kind === "struct" && at.packed === bt.packed && at.fields.length === bt.fields.length && bt.fields.every((f, i) => next(f, at.fields[i]!));
      case "function":
        return (
          at.kind === "function" && at.varargs === bt.varargs && at.params.length === bt.params.length &&
          next(bt.ret, at.ret) && bt.params.every((p, i) => next(p, at.params[i]!))
        );
    }
  }

  /** Why `a` (AFTER) does not mean `b` (BEFORE), at `path` (element indices, `[1][0]`); undefined when it does. */
  private valueDifference(b: LlvmConstant, a: LlvmConstant, path: string): string | undefined {
    // At the top the caller shows both whole values; deeper, say where and what.
    const differ = (why = ""): string =>
      path === "" ? why : `at ${path}: \`${clip(b.text)}\` became \`${clip(a.text)}\`${why === "" ? "" : ` (${why})`}`;
    if (!this.sameType(b.type, a.type)) return differ("another type");
    if (b.kind === "undef" || b.kind === "poison") return undefined;
    const bZero = this.isZero(b, this.b);
    const aZero = this.isZero(a, this.a);
    if (bZero && aZero) return undefined;
    if (b.kind === "aggregate" && a.kind === "aggregate") {
      if (b.elements.length !== a.elements.length) return differ(`${b.elements.length} elements became ${a.elements.length}`);
      for (const [i, e] of b.elements.entries()) {
        const d = this.valueDifference(e, a.elements[i]!, `${path}[${i}]`);
        if (d !== undefined) return d;
      }
      return undefined;
    }
    if (bZero !== aZero) return differ();
    if (b.type.kind === "pointer") {
      const pb = this.addressOf(b, this.b);
      const pa = this.addressOf(a, this.a);
      if (pb !== undefined && pa !== undefined) return this.addressDifference(pb, pa, differ);
      if (pb !== undefined || pa !== undefined) return differ();
    }
    if (b.kind === "int" && a.kind === "int" && b.type.kind === "int") {
      const bits = BigInt(b.type.bits);
      return BigInt.asUintN(Number(bits), b.value) === BigInt.asUintN(Number(bits), a.value) ? undefined : differ();
    }
    if (b.kind === "float" && a.kind === "float") return floatBits(b.literal) === floatBits(a.literal) ? undefined : differ();
    if (b.kind === "symbol" && a.kind === "symbol") {
      const d = this.symbolDifference(b.name, a.name);
      return d === undefined ? undefined : differ(d);
    }
    if (b.kind === "expr" && a.kind === "expr") return this.exprDifference(b, a, path) === undefined ? undefined : differ();
    if (b.kind === "other" && a.kind === "other") return b.text === a.text ? undefined : differ();
    return differ();
  }

  /** Constant expressions the address evaluation could not fold: same operation, operands by value. */
  private exprDifference(b: Extract<LlvmConstant, { kind: "expr" }>, a: Extract<LlvmConstant, { kind: "expr" }>, path: string): string | undefined {
    const words = (e: typeof b): string => e.words.filter((w) => w !== "inbounds").join(" ");
    if (b.op !== a.op || words(b) !== words(a) || b.items.length !== a.items.length) return "another operation";
    for (const [i, x] of b.items.entries()) {
      const y = a.items[i]!;
      if ((x.to === undefined) !== (y.to === undefined) || (x.to !== undefined && !this.sameType(x.to, y.to!))) return "another cast";
      if (x.value === undefined || y.value === undefined) {
        if (x.value !== y.value || !this.sameType(x.type, y.type)) return "another operand";
        continue;
      }
      if (b.op === "getelementptr" && i >= 2) {
        const si = signedIndex(x.value);
        if (si !== undefined && si === signedIndex(y.value)) continue;
      }
      if (this.valueDifference(x.value, y.value, path) !== undefined) return "another operand";
    }
    return undefined;
  }

  private addressDifference(b: Address, a: Address, differ: (why?: string) => string): string | undefined {
    if (b.base === null || a.base === null) {
      if (b.base !== a.base) return differ();
    } else {
      const d = this.symbolDifference(b.base, a.base);
      if (d !== undefined) return differ(d);
    }
    const at = (p: Address): string => `${p.base === null ? "null" : `@${p.base}`} + ${p.offset}`;
    if (b.offset !== a.offset) return differ(`address ${at(b)} became ${at(a)}`);
    if (a.inbounds && !b.inbounds) {
      const size = a.base === null ? 0n : this.objectSize(a.base, this.a);
      if (size === undefined || a.offset < 0n || a.offset > size) return differ(`inbounds at ${at(a)}, outside the object: poison where BEFORE had an address`);
    }
    return undefined;
  }

  /** Why @bName in BEFORE and @aName in AFTER are not the same object; undefined when they are. */
  private symbolDifference(bName: string, aName: string): string | undefined {
    const bs = this.b.symbol(bName);
    const as = this.a.symbol(aName);
    const local = (s: ModuleSymbol | undefined): s is ModuleSymbol => s !== undefined && s.kind === "global" && s.defined && !isExported(s);
    if (!local(bs)) return bName === aName ? undefined : `@${bName} became @${aName}`;
    if (!local(as)) return `local @${bName} became @${aName}, not a local global`;
    if (bName !== aName && !(bs.constness === "constant" && bs.unnamedAddr === "unnamed_addr")) {
      return `@${bName} became @${aName}, but @${bName}'s address is significant (not an unnamed_addr constant)`;
    }
    const key = `${bName}\0${aName}`;
    if (this.symbolPairs.has(key)) return this.symbolPairs.get(key);
    this.symbolPairs.set(key, undefined);
    let why: string | undefined;
    if (!this.sameTypeText(bs.type, as.type)) why = `@${bName}'s type \`${bs.type}\` became @${aName}'s \`${as.type}\``;
    else {
      const d = this.initializerDifference(bs, as);
      const renamed = bName === aName ? "" : ` (now @${aName})`;
      if (d !== undefined) why = `@${bName}${renamed}: initial value \`${clip(bs.initializer ?? "")}\` became \`${clip(as.initializer ?? "")}\`${d === "" ? "" : ` ${d}`}`;
    }
    this.symbolPairs.set(key, why);
    return why;
  }

  /** The address a pointer constant denotes, when it is a symbol or null moved by bitcasts and constant GEPs. */
  private addressOf(v: LlvmConstant, side: Side, depth = 0): Address | undefined {
    if (depth > 64) return undefined;
    if (v.kind === "symbol") return { base: v.name, offset: 0n, inbounds: false };
    if (v.kind === "null" || v.kind === "zeroinitializer") return { base: null, offset: 0n, inbounds: false };
    if (v.kind !== "expr") return undefined;
    const [first, ...rest] = v.items;
    if (v.op === "bitcast" && first?.value !== undefined && first.to?.kind === "pointer" && first.type.kind === "pointer" && first.to.addrspace === first.type.addrspace) {
      return this.addressOf(first.value, side, depth + 1);
    }
    if (v.op !== "getelementptr" || first === undefined || first.value !== undefined) return undefined;
    const [base, ...indexItems] = rest;
    if (base?.value === undefined) return undefined;
    const from = this.addressOf(base.value, side, depth + 1);
    const indices = indexItems.map((i) => (i.value === undefined ? undefined : signedIndex(i.value)));
    if (from === undefined || indices.some((i) => i === undefined)) return undefined;
    const step = gepOffset(first.type, indices as bigint[], side.layout, side.resolve);
    if (step === undefined) return undefined;
    const width = Number(side.layout.pointers.get(base.type.kind === "pointer" ? base.type.addrspace : 0)?.size ?? 8n) * 8;
    return { base: from.base, offset: BigInt.asIntN(width, from.offset + step), inbounds: from.inbounds || v.words.includes("inbounds") };
  }

  private objectSize(name: string, side: Side): bigint | undefined {
    const s = side.symbol(name);
    if (s === undefined || s.kind !== "global") return undefined;
    const t = readTypeValue(s.type);
    return t === undefined ? undefined : typeLayout(t, side.layout, side.resolve)?.size;
  }

  private isZero(v: LlvmConstant, side: Side): boolean {
    switch (v.kind) {
      case "null":
      case "zeroinitializer":
        return true;
      case "int":
        return v.value === 0n;
      case "float":
        return floatBits(v.literal) === 0n;
      case "aggregate":
        return v.elements.every((e) => this.isZero(e, side));
      case "expr": {
        if (v.type.kind !== "pointer") return false;
        const p = this.addressOf(v, side);
        return p !== undefined && p.base === null && p.offset === 0n;
      }
      default:
        return false;
    }
  }
}

/** A GEP index's value, sign-extended from its width (`i8 255` is -1); undefined unless an integer. */
function signedIndex(v: LlvmConstant): bigint | undefined {
  return v.kind === "int" && v.type.kind === "int" ? BigInt.asIntN(v.type.bits, v.value) : undefined;
}

/**
 * The bits of a floating-point literal: decimal (`1.000000e+00`) and `0x` + 16 hex
 * digits are doubles (LLVM prints `float` constants as the double they widen to);
 * other forms (`0xK…`, `0xH…`, `0xL…`) are compared as written, all-zero digits being +0.
 */
function floatBits(literal: string): bigint | string {
  if (/^0x[0-9A-Fa-f]{16}$/.test(literal)) return BigInt(literal);
  if (/^0x[KLMHR]?0+$/i.test(literal)) return 0n;
  if (/^-?\d/.test(literal)) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Number(literal));
    return view.getBigUint64(0);
  }
  return literal.toUpperCase();
}

function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
