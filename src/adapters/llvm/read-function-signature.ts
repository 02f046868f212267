import { matchingClose, readLlvmType, splitTopLevel } from "./read-llvm-type.js";
import type { ModuleSymbol } from "./read-module-interface.js";

/** How a harness can pass or receive one value: as 64 bits in a register-sized slot. */
export type ScalarKind = { kind: "int"; bits: number } | { kind: "float" } | { kind: "double" } | { kind: "pointer" };

/** One parameter of a defined function, as a caller has to pass it. */
export interface FunctionParam {
  /** The type, whitespace normalised (`i32`, `i8*`, `ptr`, `%struct.s*`). */
  type: string;
  /** ABI attributes a call site must repeat: `zeroext`, `signext`, `inreg`. */
  abi: string[];
  /** An attribute that changes how the argument is passed (`byval`, `sret`, …), if any. */
  passing?: string;
}

/** What it takes to call a defined function from another function of its module. */
export interface FunctionSignature {
  /** As written after `@` (`f`, `g.1`, `"a b"`). */
  name: string;
  linkage: string;
  /** The calling convention keyword (`fastcc`, `cc 10`), or undefined for C's. */
  callingConvention?: string;
  /** ABI attributes of the return value a call site must repeat. */
  returnAbi: string[];
  returnType: string;
  params: FunctionParam[];
  varargs: boolean;
}

const ABI_ATTRIBUTE = /(?<![-\w.$%])(zeroext|signext|inreg)(?![-\w.$])/g;
const PASSING_ATTRIBUTE = /(?<![-\w.$%])(byval|byref|sret|inalloca|preallocated|swifterror|swiftself|swiftasync|nest)(?![-\w.$])/;
const CALLING_CONVENTION = /(?:^|\s)([a-z0-9_]+cc|cc\s+\d+)(?=\s|$)/;
const TRAILING_NAME = /\s*%(?:"(?:[^"\\]|\\.)*"|[-\w$.]+)\s*$/;

/**
 * The call signature of the function `symbol` (a `define` read by `readModuleInterface`
 * from `text`): `symbol.type` gives the return type, the header line (`symbol.line`, on
 * one line as `opt -S` prints it) the calling convention and the parameter attributes
 * that matter to a caller. Returns undefined for a symbol that is not a defined function.
 */
export function readFunctionSignature(text: string, symbol: ModuleSymbol): FunctionSignature | undefined {
  if (symbol.kind !== "function" || !symbol.defined) return undefined;
  const header = text.split("\n", symbol.line)[symbol.line - 1] ?? "";
  const at = header.indexOf(`@${symbol.name}(`);
  const close = at < 0 ? -1 : matchingClose(header, at + symbol.name.length + 1);
  const typeOpen = paramsOpen(symbol.type);
  if (close < 0 || typeOpen < 0) return undefined;
  const prefix = header.slice(header.indexOf(" "), at);
  const texts = splitTopLevel(header.slice(at + symbol.name.length + 2, close));
  const varargs = texts[texts.length - 1] === "...";
  const params = (varargs ? texts.slice(0, -1) : texts).map((p): FunctionParam => {
    const read = readLlvmType(p);
    const attributes = (read?.rest ?? "").replace(TRAILING_NAME, "");
    const passing = PASSING_ATTRIBUTE.exec(attributes)?.[1];
    return { type: read?.type ?? p, abi: [...attributes.matchAll(ABI_ATTRIBUTE)].map((m) => m[1]!), ...(passing ? { passing } : {}) };
  });
  const returnType = symbol.type.slice(0, typeOpen).trim();
  const beforeReturn = prefix.slice(0, returnTypeStart(prefix));
  const callingConvention = CALLING_CONVENTION.exec(beforeReturn)?.[1]?.replace(/\s+/, " ");
  return {
    name: symbol.name,
    linkage: symbol.linkage,
    ...(callingConvention ? { callingConvention } : {}),
    returnAbi: [...beforeReturn.matchAll(ABI_ATTRIBUTE)].map((m) => m[1]!),
    returnType,
    params,
    varargs,
  };
}

/**
 * How a harness passes a value of `type` in a 64-bit slot, or undefined when it cannot
 * (structs, vectors, `x86_fp80`, integers wider than 64 bits, other address spaces).
 */
export function scalarKindOf(type: string): ScalarKind | undefined {
  const int = /^i(\d+)$/.exec(type);
  if (int !== null) {
    const bits = Number(int[1]);
    return bits >= 1 && bits <= 64 ? { kind: "int", bits } : undefined;
  }
  if (type === "float" || type === "double") return { kind: type };
  if (type === "ptr" || (type.endsWith("*") && !type.includes("addrspace"))) return { kind: "pointer" };
  return undefined;
}

/** `i32`, `float`, `ptr`: how a scalar kind reads in evidence. */
export function scalarKindName(k: ScalarKind): string {
  return k.kind === "int" ? `i${k.bits}` : k.kind === "pointer" ? "ptr" : k.kind;
}

/** Where the return type starts in the words between `define` and `@name`: the first word from which a type runs to the end. */
function returnTypeStart(prefix: string): number {
  for (const m of prefix.matchAll(/\S+/g)) {
    if (readLlvmType(prefix.slice(m.index))?.rest.trim() === "") return m.index;
  }
  return prefix.length;
}

/** Index of the `(` opening the parameter list of `ret (params…)`: the group that closes at the end. */
function paramsOpen(type: string): number {
  for (let i = type.indexOf("("); i >= 0; i = type.indexOf("(", i + 1)) {
    if (matchingClose(type, i) === type.length - 1) return i;
  }
  return -1;
}
