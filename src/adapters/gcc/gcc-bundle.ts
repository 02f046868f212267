import { mapConcurrent } from "../framework/map-concurrent.js";
import { machine } from "node:os";
import type { CBundleUnit } from "../framework/c-bundle.js";
import { runTool, type ToolResult } from "../framework/run-tool.js";
import { shellQuote } from "../llvm/llvm-plan.js";

/**
 * How the GCC toolchain builds a C bundle: the bundle is written to `<work>/root`, every
 * unit is compiled there (`gcc <plan> <unit flags> -c <unit> -o ../<prefix>_<i>.o`, so
 * that relative include paths and the file name recorded in the object are the same on
 * every machine), and the objects go into one archive, members in unit order.
 */

/** The object of unit `i` (also its member name in the archive). */
export function unitObject(i: number, prefix = "unit"): string {
  return `${prefix}_${i}.o`;
}

/** The argument list that compiles unit `i` of a bundle from its root. */
export function unitCompileArgs(flags: readonly string[], unit: CBundleUnit, i: number, prefix = "unit"): string[] {
  return [...flags, ...unit.args, "-c", unit.path, "-o", `../${unitObject(i, prefix)}`];
}

/**
 * Compiles every unit (`unitCompileArgs`) with `cwd` = the bundle's root, up to the
 * machine's parallelism at once, and returns gcc's result per unit in unit order.
 * `timeoutMs()` is asked before each compile (a shared deadline).
 */
export async function compileUnits(
  gcc: string, units: readonly CBundleUnit[], flags: readonly string[], root: string, prefix: string, timeoutMs: () => number,
): Promise<ToolResult[]> {
  return mapConcurrent(units, (unit, i) => runTool(gcc, unitCompileArgs(flags, unit, i, prefix), { cwd: root, timeoutMs: timeoutMs(), deterministic: true, missingPackage: "gcc" }));
}

/** The `ar` arguments that put the objects into a deterministic archive (`D`: zero timestamps, owners and modes). */
export function archiveArgs(count: number, archive = "output.a"): string[] {
  return ["rcD", archive, ...Array.from({ length: count }, (_, i) => unitObject(i))];
}

/** The command lines that rebuild a bundle's evaluation by hand, run in the bundle's root. */
export function bundleReproduction(gcc: string, units: readonly CBundleUnit[], flags: readonly string[], libraries: readonly string[]): string {
  const line = (args: readonly string[]): string => args.map(shellQuote).join(" ");
  const objects = units.map((_, i) => unitObject(i));
  return [
    ...units.map((u, i) => `setarch ${machine()} -R ${gcc} ${line(unitCompileArgs(flags, u, i))}`),
    "cd ..",
    `ar ${line(archiveArgs(units.length))}`,
    `${gcc} ${line([...flags, ...objects, "-o", "program", ...libraries])}`,
  ].join(" && ").replace(/ {2,}/g, " ");
}
