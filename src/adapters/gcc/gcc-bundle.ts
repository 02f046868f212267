import { availableParallelism, machine } from "node:os";
import { OpmError } from "../../kernel/errors/index.js";
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

/** `-l<name>` for each library, sorted, no duplicates; invalid_argument for a name `-l` does not take. */
export function libraryFlags(libraries: readonly string[]): string[] {
  for (const l of libraries) {
    if (!/^[A-Za-z0-9_+][A-Za-z0-9_+.-]{0,63}$/.test(l)) throw new OpmError("invalid_argument", `field \`libraries\`: ${JSON.stringify(l)} is not a library name \`-l\` takes`, { field: "libraries" });
  }
  return [...new Set(libraries)].sort().map((l) => `-l${l}`);
}

/**
 * `fn` over `items`, at most `limit` at a time, results in item order. After a call
 * rejects no new one starts; once the running ones settle, the first rejection (in
 * item order) is thrown.
 */
export async function mapConcurrent<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, limit = availableParallelism()): Promise<R[]> {
  const results = new Array<R>(items.length);
  const errors = new Map<number, unknown>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && errors.size === 0) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        errors.set(i, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.size > 0) throw errors.get(Math.min(...errors.keys()));
  return results;
}
