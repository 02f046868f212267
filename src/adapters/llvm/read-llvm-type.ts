/**
 * Reads one LLVM type from the start of `text` (textual IR, typed or opaque
 * pointers): `i32`, `float`, `ptr`, `%struct.s`, `[4 x i8]`, `{ i32, i8* }`,
 * `<{ i8 }>`, `<4 x i32>`, with any `*` / `addrspace(N)*` suffixes and function
 * types (`i32 (i8*, ...)*`). Returns the type with whitespace normalised and the
 * rest of the text, or `undefined` when `text` does not start with a type.
 */
export function readLlvmType(text: string): { type: string; rest: string } | undefined {
  let s = text.trimStart();
  let type: string;
  const open = s[0];
  if (open === "[" || open === "{" || (open === "<" && (s[1] === "{" || /^<\s*(vscale\s+x\s+)?\d/.test(s)))) {
    const end = matchingClose(s, 0);
    if (end < 0) return undefined;
    type = normalise(s.slice(0, end + 1));
    s = s.slice(end + 1);
  } else {
    const m = /^(?:i\d+|half|bfloat|float|double|x86_fp80|fp128|ppc_fp128|x86_mmx|x86_amx|void|label|metadata|token|ptr|opaque|%(?:"(?:[^"\\]|\\.)*"|[-\w$.]+))/.exec(s);
    if (m === null) return undefined;
    type = m[0];
    s = s.slice(m[0].length);
  }
  for (;;) {
    const t = s.trimStart();
    const addr = /^addrspace\(\d+\)(?:\s*\*)?/.exec(t);
    if (t.startsWith("*")) {
      type += "*";
      s = t.slice(1);
    } else if (addr !== null) {
      type += ` ${addr[0].replace(/\s+/g, "")}`;
      s = t.slice(addr[0].length);
    } else if (t.startsWith("(") && looksLikeParamTypes(t)) {
      const end = matchingClose(t, 0);
      if (end < 0) return undefined;
      type += ` ${normalise(t.slice(0, end + 1))}`;
      s = t.slice(end + 1);
    } else {
      return { type, rest: s };
    }
  }
}

/** A `(`…`)` that starts a function type's parameter list, not a call's arguments. */
function looksLikeParamTypes(t: string): boolean {
  const inner = t.slice(1).trimStart();
  return inner.startsWith(")") || inner.startsWith("...") || readLlvmTypeHead(inner);
}

function readLlvmTypeHead(s: string): boolean {
  return /^(?:i\d+|half|bfloat|float|double|x86_fp80|fp128|void|ptr|%[-\w$."]|\[|\{|<)/.test(s);
}

/** Index of the bracket closing the one at `start`, honouring nesting and strings; -1 if none. */
export function matchingClose(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "(" || c === "[" || c === "{" || c === "<") depth++;
    else if (c === ")" || c === "]" || c === "}" || c === ">") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits at top-level commas (outside brackets and strings). */
export function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "(" || c === "[" || c === "{" || c === "<") depth++;
    else if (c === ")" || c === "]" || c === "}" || c === ">") depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  if (s.slice(from).trim() !== "") parts.push(s.slice(from));
  return parts.map((p) => p.trim());
}

function normalise(t: string): string {
  return t.replace(/\s+/g, " ").replace(/\s*,\s*/g, ", ").replace(/([[{(<])\s+/g, "$1").replace(/\s+([\]})>])/g, "$1");
}
