import { requireLibraryName } from "../framework/library-name.js";

/**
 * The libraries a module links against, as `-l` takes them (`m`, `z`), read from its
 * `!llvm.dependent-libraries` named metadata — what clang emits for ELF
 * `#pragma comment(lib, "m")` and `llvm-link` concatenates:
 *
 *     !llvm.dependent-libraries = !{!0, !1}
 *     !0 = !{!"m"}
 *
 * In order of first appearance, without duplicates; `[]` when the module has none.
 * Reads textual IR only (bitcode has no text to read: `[]`).
 */
export function readDependentLibraries(irText: string): string[] {
  const named = namedLine(irText);
  if (named === undefined) return [];
  const ids = [...named.text.matchAll(/!(\d+)/g)].map((m) => m[1]!);
  if (ids.length === 0) return [];
  const nodes = numberedNodes(irText, new Set(ids));
  const libs: string[] = [];
  for (const id of ids) {
    for (const m of (nodes.get(id) ?? "").matchAll(/!"((?:[^"\\]|\\[0-9A-Fa-f]{2}|\\\\)*)"/g)) {
      const lib = unescapeLlvmString(m[1]!);
      if (!libs.includes(lib)) libs.push(lib);
    }
  }
  return libs;
}

/**
 * `irText` with `libs` recorded in its `!llvm.dependent-libraries` (created, or merged
 * into the existing list: libraries already listed are not repeated), each as a new
 * metadata node `!N = !{!"lib"}` with an id no other metadata of the module uses.
 * Unchanged when there is nothing to add.
 */
export function withDependentLibraries(irText: string, libs: readonly string[]): string {
  const present = new Set(readDependentLibraries(irText));
  const add = [...new Set(libs)].filter((l) => !present.has(l));
  if (add.length === 0) return irText;
  for (const lib of add) requireLibraryName(lib);
  let next = maxMetadataId(irText) + 1;
  const nodes = add.map((lib) => ({ id: next++, lib }));
  const defs = nodes.map((n) => `!${n.id} = !{!"${escapeLlvmString(n.lib)}"}`).join("\n");
  const refs = nodes.map((n) => `!${n.id}`).join(", ");
  const named = namedLine(irText);
  const body = irText.endsWith("\n") || irText === "" ? irText : `${irText}\n`;
  if (named === undefined) return `${body}\n!llvm.dependent-libraries = !{${refs}}\n${defs}\n`;
  const close = named.text.lastIndexOf("}");
  const inner = named.text.slice(named.text.indexOf("{") + 1, close).trim();
  const line = `!llvm.dependent-libraries = !{${inner === "" ? refs : `${inner}, ${refs}`}}`;
  const merged = `${irText.slice(0, named.start)}${line}${irText.slice(named.end)}`;
  return `${merged.endsWith("\n") ? merged : `${merged}\n`}${defs}\n`;
}


/** The `!llvm.dependent-libraries = !{…}` line: its text and offsets (end excludes the newline). */
function namedLine(irText: string): { text: string; start: number; end: number } | undefined {
  const m = /^!llvm\.dependent-libraries\s*=\s*!\{[^}\n]*\}[^\n]*/m.exec(irText);
  if (m === null) return undefined;
  return { text: m[0], start: m.index, end: m.index + m[0].length };
}

/** `!N = …` definitions (the text after `=`) of the wanted ids. */
function numberedNodes(irText: string, wanted: ReadonlySet<string>): Map<string, string> {
  const nodes = new Map<string, string>();
  for (const m of irText.matchAll(/^!(\d+)\s*=\s*([^\n]*)/gm)) {
    if (wanted.has(m[1]!)) nodes.set(m[1]!, m[2]!);
  }
  return nodes;
}

/**
 * The largest `!N` anywhere in the text, -1 when none. Counting a `!N` inside a string
 * only makes the new id larger; numbers past LLVM's 32-bit ids cannot be ids and are skipped.
 */
function maxMetadataId(irText: string): number {
  let max = -1;
  for (const m of irText.matchAll(/!(\d{1,10})\b/g)) {
    const n = Number(m[1]);
    if (n < 2 ** 31) max = Math.max(max, n);
  }
  return max;
}

/** LLVM's string escapes: `\HH` (two hex digits) and `\\`. */
function unescapeLlvmString(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && s[i + 1] === "\\") {
      bytes.push(0x5c);
      i++;
    } else if (s[i] === "\\" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function escapeLlvmString(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
