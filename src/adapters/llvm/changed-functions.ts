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
  const original = new Map(before.functions.map((f) => [f.name, f]));
  const changed: ChangedFunction[] = [];
  for (const fn of after.functions) {
    const was = original.get(fn.name);
    const blocks = fn.blocks.map(blockText);
    if (was !== undefined && was.blocks.map(blockText).join("\n") === blocks.join("\n")) continue;
    // A block of AFTER is changed unless the original function has the very same block.
    const kept = new Set(was?.blocks.map(blockText) ?? []);
    changed.push({
      name: unquote(fn.name), instructions: fn.blocks.reduce((n, b) => n + b.instructions.length, 0), added: was === undefined,
      changedBlocks: fn.blocks.map((b, i) => (kept.has(blocks[i]!) ? 0 : b.instructions.length)),
    });
  }
  return changed;
}

/**
 * The SanitizerCoverage guard of each block of each function of `module` as clang numbers
 * them in a `BLOCK_COVERAGE_FLAGS` build (functions and blocks in module order, from 1;
 * a block whose first instruction besides phis, debug and lifetime markers is
 * `unreachable` gets none, and so does every block of a function whose entry block
 * ends in `unreachable`), and how many guards there are.
 */
export function blockGuards(module: IrModule): { guards: Map<string, (number | undefined)[]>; total: number } {
  const guards = new Map<string, (number | undefined)[]>();
  let total = 0;
  for (const fn of module.functions) {
    // SanitizerCoverage leaves out a function whose entry block ends in `unreachable`.
    if (fn.blocks[0]?.instructions.at(-1)?.opcode === "unreachable") {
      guards.set(unquote(fn.name), fn.blocks.map(() => undefined));
      continue;
    }
    guards.set(unquote(fn.name), fn.blocks.map((b) => {
      const first = b.instructions.find((i) => i.opcode !== "phi" && !/^(?:tail |notail |musttail )?call void @llvm\.(?:dbg|lifetime)\./.test(i.text));
      return first?.opcode === "unreachable" ? undefined : ++total;
    }));
  }
  return { guards, total };
}

/** The blocks of each function whose guard `hits` marks (`readBlockHits`), by function name. */
export function executedBlocks(guards: ReadonlyMap<string, readonly (number | undefined)[]>, hits: Uint8Array): Map<string, Set<number>> {
  const executed = new Map<string, Set<number>>();
  for (const [fn, ids] of guards) {
    const blocks = new Set<number>();
    ids.forEach((g, i) => {
      if (g !== undefined && hits[g] === 1) blocks.add(i);
    });
    if (blocks.size > 0) executed.set(fn, blocks);
  }
  return executed;
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

/** A block as text, metadata attachments and attribute-group numbers aside (a reprint renumbers them). */
function blockText(b: IrFunction["blocks"][number]): string {
  return `${b.label}:\n${b.instructions.map((i) => i.text.replace(/,\s*!(?:[-\w.$]+)\s+!\d+/g, "").replace(/\s#\d+\b/g, "")).join("\n")}`;
}

/** `"a b"` → `a b` (the name as a profile or a symbol table spells it). */
function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1) : name;
}

