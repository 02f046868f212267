import type { IrFunction, IrModule } from "./read-llvm-ir.js";

/**
 * Differences in control-flow shape, for a transform that claims to preserve the
 * CFG: every function defined in both modules must have the same number of blocks
 * and, block by block in layout order, the same successors (as block indices, so a
 * renumbering of labels is not a change), and the transform must not define new
 * functions. Functions that disappeared are not a CFG change (dead-code removal).
 */
export function compareCfgShapes(before: IrModule, after: IrModule): string[] {
  const problems: string[] = [];
  const old = new Map(before.functions.map((f) => [f.name, f]));
  for (const fn of after.functions) {
    const b = old.get(fn.name);
    if (b === undefined) {
      problems.push(`function @${fn.name} is new`);
      continue;
    }
    const [sb, sa] = [shape(b), shape(fn)];
    if (sb.length !== sa.length) {
      problems.push(`function @${fn.name}: ${sb.length} blocks became ${sa.length}`);
      continue;
    }
    const i = sb.findIndex((succ, k) => succ !== sa[k]);
    if (i >= 0) problems.push(`function @${fn.name}: successors of block #${i} (${label(fn, i)}) changed from [${sb[i]}] to [${sa[i]}]`);
  }
  return problems;
}

/** Per block, its successors as block indices joined by commas. */
function shape(fn: IrFunction): string[] {
  const index = new Map(fn.blocks.map((b, i) => [b.label, i]));
  // The unlabelled entry block of `clang` output is numbered implicitly by `opt`.
  return fn.blocks.map((b) => b.successors.map((s) => index.get(s) ?? `?${s}`).join(","));
}

function label(fn: IrFunction, i: number): string {
  const l = fn.blocks[i]?.label ?? "";
  return l === "" ? "entry" : `%${l}`;
}
