import type { ChangedFunction } from "../verifier/earned-semantics.js";
import type { IrFunction, IrModule } from "./read-llvm-ir.js";

/**
 * The functions a transform changed: those defined in both modules whose bodies differ
 * (blocks, instructions, operands — metadata attachments and attribute-group numbers
 * aside, which a reprint renumbers), and those AFTER defines that BEFORE does not
 * (outlined or specialised code). Functions AFTER dropped are not listed: their code
 * now lives in their callers, which changed. Sizes are instructions in AFTER.
 */
export function changedFunctions(before: IrModule, after: IrModule): ChangedFunction[] {
  const original = new Map(before.functions.map((f) => [f.name, bodyOf(f)]));
  const changed: ChangedFunction[] = [];
  for (const fn of after.functions) {
    const body = bodyOf(fn);
    if (original.get(fn.name) === body) continue;
    changed.push({ name: unquote(fn.name), instructions: fn.blocks.reduce((n, b) => n + b.instructions.length, 0), added: !original.has(fn.name) });
  }
  return changed;
}

/**
 * The functions the program can run: the closure from `main` and from every function a
 * global refers to (constructors, tables of function pointers) along every mention of
 * a function in a reachable body (calls and addresses taken alike). A changed function
 * outside it cannot change what the program does — a library function the program
 * never calls. Conservative: a mention is an edge whether or not it is ever called.
 */
export function reachableFunctions(module: IrModule, moduleText: string): Set<string> {
  const defined = new Map(module.functions.map((f) => [unquote(f.name), f]));
  const pending: string[] = defined.has("main") ? ["main"] : [];
  for (const line of moduleText.split("\n")) {
    if (line.startsWith("@") && line.includes("=")) pending.push(...mentions(line.slice(line.indexOf("=") + 1)));
  }
  const reachable = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    const fn = defined.get(name);
    if (fn === undefined || reachable.has(name)) continue;
    reachable.add(name);
    for (const b of fn.blocks) for (const i of b.instructions) pending.push(...mentions(i.text));
  }
  return reachable;
}

/** The global names (`@x`, `@"a b"`) a piece of IR mentions, unquoted. */
function mentions(text: string): string[] {
  if (!text.includes("@")) return [];
  return [...text.matchAll(/@("(?:[^"\\]|\\.)*"|[-\w$.]+)/g)].map((m) => unquote(m[1]!));
}

function bodyOf(fn: IrFunction): string {
  return fn.blocks
    .map((b) => `${b.label}:\n${b.instructions.map((i) => i.text.replace(/,\s*!(?:[-\w.$]+)\s+!\d+/g, "").replace(/\s#\d+\b/g, "")).join("\n")}`)
    .join("\n");
}

/** `"a b"` → `a b` (the name as a profile or a symbol table spells it). */
function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1) : name;
}

