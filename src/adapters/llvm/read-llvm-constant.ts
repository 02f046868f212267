import { tokenize } from "./ir-operands.js";

/**
 * An LLVM type as a value. Pointers keep only their address space: what a pointer
 * points to carries no meaning (LLVM 15 prints every one as `ptr`), so `i8*`,
 * `[4 x i8]*` and `ptr` are the same type.
 */
export type LlvmType =
  | { kind: "int"; bits: number }
  | { kind: "float"; name: string }
  | { kind: "pointer"; addrspace: number }
  | { kind: "array"; count: number; element: LlvmType }
  | { kind: "vector"; count: number; scalable: boolean; element: LlvmType }
  | { kind: "struct"; packed: boolean; fields: LlvmType[] }
  /** `%name`: resolved against the module's `%name = type …` definitions. */
  | { kind: "named"; name: string }
  | { kind: "function"; ret: LlvmType; params: LlvmType[]; varargs: boolean }
  /** `void`, `label`, `metadata`, `token`, `opaque`, `x86_mmx`, `x86_amx`. */
  | { kind: "other"; name: string };

/** One operand of a constant expression: `T`, `T v` or a cast's `T v to U`. */
export interface ExprItem {
  type: LlvmType;
  value?: LlvmConstant;
  to?: LlvmType;
}

/** An LLVM constant as a value; `text` is how it was written (spacing normalised), for evidence. */
export type LlvmConstant = { type: LlvmType; text: string } & (
  | { kind: "int"; value: bigint }
  | { kind: "float"; literal: string }
  | { kind: "null" | "zeroinitializer" | "undef" | "poison" }
  /** Arrays, structs and vectors; `c"…"` strings are arrays of `i8` here. */
  | { kind: "aggregate"; elements: LlvmConstant[] }
  /** `@name` as written after `@`. */
  | { kind: "symbol"; name: string }
  /** `op [words] (items)`: casts, `getelementptr`, arithmetic, compares, `select`… */
  | { kind: "expr"; op: string; words: string[]; items: ExprItem[] }
  /** What is compared as written: `blockaddress(…)`, `dso_local_equivalent @f`, `none`. */
  | { kind: "other" }
);

const FLOATS = new Set(["half", "bfloat", "float", "double", "x86_fp80", "fp128", "ppc_fp128"]);
const OTHER_TYPES = new Set(["void", "label", "metadata", "token", "opaque", "x86_mmx", "x86_amx"]);
const WORDS_ONLY = new Set(["dso_local_equivalent", "no_cfi"]);

/** Reads a type written alone (`[2 x i8*]`, `i32 (i8*, ...)`); undefined unless it is all one type. */
export function readTypeValue(text: string): LlvmType | undefined {
  return whole(text, (p) => p.type());
}

/** Reads the constant `value` of type `type` (a global's initializer); undefined when unreadable. */
export function readLlvmConstant(type: string, value: string): LlvmConstant | undefined {
  const t = readTypeValue(type);
  return t === undefined ? undefined : whole(value, (p) => p.value(t));
}

/** Reads a typed constant (`i8* getelementptr (…)`, an alias's aliasee); undefined when unreadable. */
export function readTypedLlvmConstant(text: string): LlvmConstant | undefined {
  return whole(text, (p) => p.value(p.type()));
}

function whole<T>(text: string, read: (p: Parser) => T): T | undefined {
  const p = new Parser(tokenize(text));
  try {
    const r = read(p);
    return p.done() ? r : undefined;
  } catch (e) {
    if (e instanceof Unreadable) return undefined;
    throw e;
  }
}

class Unreadable extends Error {}

/** Recursive descent over `tokenize`'s tokens; throws `Unreadable` at the first surprise. */
class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly string[]) {}

  done(): boolean {
    return this.i === this.tokens.length;
  }

  private peek(k = 0): string | undefined {
    return this.tokens[this.i + k];
  }

  private next(): string {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new Unreadable();
    return t;
  }

  private expect(t: string): void {
    if (this.next() !== t) throw new Unreadable();
  }

  private eat(t: string): boolean {
    if (this.peek() !== t) return false;
    this.i++;
    return true;
  }

  type(): LlvmType {
    let t = this.baseType();
    for (;;) {
      if (this.eat("*")) t = { kind: "pointer", addrspace: 0 };
      else if (this.peek() === "addrspace") t = { kind: "pointer", addrspace: this.addrspace(true) };
      else if (this.peek() === "(") t = this.functionType(t);
      else return t;
    }
  }

  /** `addrspace(N)`, then the `*` that makes it a typed pointer (`ptr addrspace(N)` has none). */
  private addrspace(star: boolean): number {
    this.expect("addrspace");
    this.expect("(");
    const n = Number(this.next());
    this.expect(")");
    if (star) this.expect("*");
    if (!Number.isInteger(n)) throw new Unreadable();
    return n;
  }

  private functionType(ret: LlvmType): LlvmType {
    this.expect("(");
    const params: LlvmType[] = [];
    let varargs = false;
    while (!this.eat(")")) {
      if (params.length > 0 || varargs) this.expect(",");
      if (this.eat("...")) varargs = true;
      else params.push(this.type());
    }
    return { kind: "function", ret, params, varargs };
  }

  private baseType(): LlvmType {
    const t = this.next();
    const int = /^i(\d+)$/.exec(t);
    if (int) return { kind: "int", bits: Number(int[1]) };
    if (FLOATS.has(t)) return { kind: "float", name: t };
    if (OTHER_TYPES.has(t)) return { kind: "other", name: t };
    if (t === "ptr") return { kind: "pointer", addrspace: this.peek() === "addrspace" ? this.addrspace(false) : 0 };
    if (t.startsWith("%")) return { kind: "named", name: t.slice(1) };
    if (t === "[") {
      const count = Number(this.next());
      this.expect("x");
      const element = this.type();
      this.expect("]");
      return { kind: "array", count, element };
    }
    if (t === "{") return this.structBody(false);
    if (t === "<") {
      if (this.eat("{")) {
        const s = this.structBody(true);
        this.expect(">");
        return s;
      }
      const scalable = this.eat("vscale");
      if (scalable) this.expect("x");
      const count = Number(this.next());
      this.expect("x");
      const element = this.type();
      this.expect(">");
      return { kind: "vector", count, scalable, element };
    }
    throw new Unreadable();
  }

  /** After `{`: fields up to `}`. */
  private structBody(packed: boolean): LlvmType {
    const fields: LlvmType[] = [];
    while (!this.eat("}")) {
      if (fields.length > 0) this.expect(",");
      fields.push(this.type());
    }
    return { kind: "struct", packed, fields };
  }

  value(type: LlvmType): LlvmConstant {
    const from = this.i;
    const v = this.bareValue(type);
    return { ...v, type, text: joinTokens(this.tokens.slice(from, this.i)) } as LlvmConstant;
  }

  private bareValue(type: LlvmType): DistributiveOmit<LlvmConstant, "type" | "text"> {
    const t = this.next();
    if (/^-?\d+$/.test(t) && type.kind === "int") return { kind: "int", value: BigInt(t) };
    if (t === "true" || t === "false") return { kind: "int", value: t === "true" ? 1n : 0n };
    if ((/^-?\d/.test(t) || t.startsWith("0x")) && type.kind === "float") return { kind: "float", literal: t };
    if (t === "null" || t === "zeroinitializer" || t === "undef" || t === "poison") return { kind: t };
    if (t.startsWith("@")) return { kind: "symbol", name: t.slice(1) };
    if (t.startsWith('c"')) return { kind: "aggregate", elements: stringBytes(t).map((b) => byteConstant(b)) };
    if (t === "[" || t === "{") return { kind: "aggregate", elements: this.elements(t === "[" ? "]" : "}") };
    if (t === "<") {
      if (this.eat("{")) {
        const elements = this.elements("}");
        this.expect(">");
        return { kind: "aggregate", elements };
      }
      return { kind: "aggregate", elements: this.elements(">") };
    }
    if (t === "none") return { kind: "other" };
    if (WORDS_ONLY.has(t)) {
      this.next();
      return { kind: "other" };
    }
    if (t === "blockaddress" || t === "dso_local_equivalent") {
      this.skipGroup();
      return { kind: "other" };
    }
    if (/^[a-z]+$/.test(t)) return this.expr(t);
    throw new Unreadable();
  }

  /** Typed elements up to `close`. */
  private elements(close: string): LlvmConstant[] {
    const out: LlvmConstant[] = [];
    while (!this.eat(close)) {
      if (out.length > 0) this.expect(",");
      out.push(this.value(this.type()));
    }
    return out;
  }

  /** `op [flags or predicate] ( item, … )`, an item being `T`, `T v` or `T v to U`. */
  private expr(op: string): { kind: "expr"; op: string; words: string[]; items: ExprItem[] } {
    const words: string[] = [];
    while (this.peek() !== "(") words.push(this.next());
    this.expect("(");
    const items: ExprItem[] = [];
    while (!this.eat(")")) {
      if (items.length > 0) this.expect(",");
      while (this.peek() === "inrange") words.push(this.next());
      const type = this.type();
      if (this.peek() === "," || this.peek() === ")") {
        items.push({ type });
        continue;
      }
      const value = this.value(type);
      items.push(this.eat("to") ? { type, value, to: this.type() } : { type, value });
    }
    return { kind: "expr", op, words, items };
  }

  private skipGroup(): void {
    this.expect("(");
    for (let depth = 1; depth > 0; ) {
      const t = this.next();
      if (t === "(") depth++;
      else if (t === ")") depth--;
    }
  }
}

/** Tokens back to text as LLVM spaces them: `getelementptr ([3 x i8], [3 x i8]* @s, i64 0, i64 1)`. */
function joinTokens(tokens: readonly string[]): string {
  return tokens.join(" ").replace(/([([<]) /g, "$1").replace(/ ([)\]>,*])/g, "$1");
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The bytes of `c"…"`: LLVM escapes a byte as `\XX` (two hex digits) and a backslash as `\\`. */
function stringBytes(token: string): number[] {
  const body = token.slice(2, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\" && /^[0-9A-Fa-f]{2}$/.test(body.slice(i + 1, i + 3))) {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (body[i] === "\\" && body[i + 1] === "\\") {
      bytes.push(0x5c);
      i++;
    } else {
      bytes.push(body.charCodeAt(i) & 0xff); // LLVM escapes every byte that is not printable ASCII
    }
  }
  return bytes;
}

function byteConstant(b: number): LlvmConstant {
  return { kind: "int", value: BigInt(b), type: { kind: "int", bits: 8 }, text: `i8 ${b}` };
}
