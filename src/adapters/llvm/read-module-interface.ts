import { stripComment } from "./read-llvm-ir.js";
import { matchingClose, readLlvmType, splitTopLevel } from "./read-llvm-type.js";

/** One function, global or alias of a module, as its interface sees it. */
export interface ModuleSymbol {
  /** As written after `@` (`main`, `"a b"`). */
  name: string;
  kind: "function" | "global" | "alias";
  /** True for `define`, a global with an initializer, an alias. */
  defined: boolean;
  /** The linkage keyword; `external` when none is written. */
  linkage: string;
  /** Functions: `ret (param types…)` without attributes or names; globals: the value type. */
  type: string;
  /** Globals: `constant` or `global`. */
  constness?: "constant" | "global";
  /** Globals: `unnamed_addr` (the address is not significant: another copy may stand for it) or `local_unnamed_addr`. */
  unnamedAddr?: "unnamed_addr" | "local_unnamed_addr";
  /**
   * Globals: the initializer as written (whitespace normalised), `""` for a declaration;
   * aliases: the typed aliasee. `compareLlvmConstants` compares them by value.
   */
  initializer?: string;
  /** 1-based line of the symbol. */
  line: number;
}

/** The parts of a module that code outside it can see or depend on. */
export interface ModuleInterface {
  symbols: Map<string, ModuleSymbol>;
  triple: string | undefined;
  datalayout: string | undefined;
  /** Named types: `%name = type body` as name (after `%`) → body (whitespace normalised); absent means none read. */
  types?: Map<string, string>;
}

/** Linkages whose definitions code outside the module cannot see or may not rely on. */
const LOCAL_LINKAGES = new Set(["private", "internal", "linkonce", "linkonce_odr", "available_externally"]);

/** True when other modules can link against `s` (a definition with non-local linkage). */
export function isExported(s: ModuleSymbol): boolean {
  return s.defined && !LOCAL_LINKAGES.has(s.linkage);
}

const LINKAGES = new Set([
  "private", "internal", "available_externally", "linkonce", "weak", "common", "appending",
  "extern_weak", "linkonce_odr", "weak_odr", "external",
]);

/** Keywords that may precede a return type or `global`, and what they are. */
const PREFIX_WORDS = new Set([
  ...LINKAGES, "dso_local", "dso_preemptable", "default", "hidden", "protected", "dllimport", "dllexport",
  "unnamed_addr", "local_unnamed_addr", "externally_initialized", "ccc", "fastcc", "coldcc", "tailcc", "swiftcc",
  "swifttailcc", "webkit_jscc", "anyregcc", "preserve_mostcc", "preserve_allcc", "cxx_fast_tlscc", "ghccc", "cfguard_checkcc",
  "x86_stdcallcc", "x86_fastcallcc", "x86_thiscallcc", "x86_vectorcallcc", "x86_regcallcc", "x86_intrcc", "x86_64_sysvcc",
  "win64cc", "zeroext", "signext", "inreg", "noalias", "nonnull", "noundef", "nocapture", "readonly", "readnone", "writeonly",
  "returned", "byval", "sret", "inalloca", "swiftself", "swifterror", "immarg", "nofree", "nest",
]);

/**
 * Reads the interface of a textual LLVM module as `opt -S` prints it: every
 * top-level `define`, `declare`, global variable and alias, with linkage, signature
 * (types only: parameter attributes and names are not part of the interface) and,
 * for globals, constness, `unnamed_addr` and initializer; and the named types
 * (`%name = type …`) that give initializers their layout. Lines it cannot read are
 * skipped: layer 1 (opt's verifier) has already accepted the module.
 */
export function readModuleInterface(text: string): ModuleInterface {
  const symbols = new Map<string, ModuleSymbol>();
  const types = new Map<string, string>();
  let triple: string | undefined;
  let datalayout: string | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]!).trimEnd();
    if (line.startsWith("target triple")) triple = /"(.*)"/.exec(line)?.[1];
    else if (line.startsWith("target datalayout")) datalayout = /"(.*)"/.exec(line)?.[1];
    else if (line.startsWith("define ") || line.startsWith("declare ")) {
      const fn = readFunctionHeader(line, i + 1);
      if (fn) symbols.set(fn.name, fn);
    } else if (line.startsWith("@")) {
      const g = readGlobal(line, i + 1);
      if (g) symbols.set(g.name, g);
    } else if (line.startsWith("%")) {
      const t = new RegExp(`^%${NAME.source.slice(1)}\\s*=\\s*type\\s+(.*)$`).exec(line);
      if (t) types.set(t[1]!, normalise(t[2]!));
    }
  }
  return { symbols, triple, datalayout, types };
}

const NAME = /@("(?:[^"\\]|\\.)*"|[-\w$.]+)/;

function readFunctionHeader(line: string, lineNo: number): ModuleSymbol | undefined {
  const defined = line.startsWith("define ");
  const m = new RegExp(`${NAME.source}\\s*\\(`).exec(line);
  if (m === null) return undefined;
  const name = m[1]!;
  let prefix = line.slice(line.indexOf(" "), m.index).trim();
  let linkage = "external";
  for (;;) {
    const word = /^([a-z_0-9]+)(\([^)]*\))?\s*/.exec(prefix);
    if (word === null) break;
    const w = word[1]!;
    if (w === "align" || w === "cc" || w === "addrspace") {
      prefix = prefix.slice(word[0].length).replace(/^\d+\s*/, "");
      continue;
    }
    if (!PREFIX_WORDS.has(w) && !/^cc\d+$/.test(w) && word[2] === undefined) break;
    if (LINKAGES.has(w)) linkage = w;
    prefix = prefix.slice(word[0].length);
  }
  const ret = readLlvmType(prefix)?.type ?? prefix;
  const open = m.index + m[0].length - 1;
  const close = matchingClose(line, open);
  const params = close < 0 ? [] : splitTopLevel(line.slice(open + 1, close));
  const types = params.map((p) => (p === "..." ? "..." : readLlvmType(p)?.type ?? p));
  return { name, kind: "function", defined, linkage, type: `${ret} (${types.join(", ")})`, line: lineNo };
}

function readGlobal(line: string, lineNo: number): ModuleSymbol | undefined {
  const m = new RegExp(`^${NAME.source}\\s*=\\s*`).exec(line);
  if (m === null) return undefined;
  const name = m[1]!;
  let rest = line.slice(m[0].length);
  let linkage = "external";
  let kind: "global" | "alias" | undefined;
  let constness: "constant" | "global" | undefined;
  let unnamedAddr: ModuleSymbol["unnamedAddr"];
  for (;;) {
    const word = /^([a-z_0-9]+)(\([^)]*\))?\s*/.exec(rest);
    if (word === null) return undefined;
    rest = rest.slice(word[0].length);
    const w = word[1]!;
    if (LINKAGES.has(w)) linkage = w;
    if (w === "unnamed_addr" || w === "local_unnamed_addr") unnamedAddr = w;
    if (w === "global" || w === "constant") {
      kind = "global";
      constness = w;
      break;
    }
    if (w === "alias" || w === "ifunc") {
      kind = "alias";
      break;
    }
  }
  const type = readLlvmType(rest);
  if (type === undefined) return undefined;
  if (kind === "alias") {
    const aliasee = splitTopLevel(type.rest.replace(/^\s*,/, ""))[0] ?? "";
    return { name, kind, defined: true, linkage, type: type.type, initializer: normalise(aliasee), line: lineNo };
  }
  const init = splitTopLevel(type.rest)[0] ?? "";
  const g: ModuleSymbol = { name, kind: "global", defined: init !== "", linkage, type: type.type, constness, initializer: normalise(init), line: lineNo };
  if (unnamedAddr !== undefined) g.unnamedAddr = unnamedAddr;
  return g;
}

function normalise(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
