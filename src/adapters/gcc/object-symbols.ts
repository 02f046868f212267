import { OpmError } from "../../kernel/errors/index.js";
import { clipLog, runTool } from "../framework/run-tool.js";

/** A function an object file defines: its symbol, whether it is local (`static`, a GCC clone) and `st_size`. */
export interface ObjectFunction {
  name: string;
  local: boolean;
  /** Bytes of machine code (`st_size`); 1 when the symbol carries no size. */
  bytes: number;
}

/** What `nm -P` says of one object file. */
export interface ObjectSymbols {
  /** Defined global symbols: name → `code` or `data`. */
  defined: Map<string, string>;
  /** Undefined (and weak undefined) symbols. */
  undefined: Set<string>;
  /** Every function defined in a text section (`T`, `t`, `W`), local or not. */
  functions: ObjectFunction[];
}

/** `nm -P` of `file` (relative to `dir`). Throws `invalid_argument` (field `after`) when nm cannot read it. */
export async function readObjectSymbols(nm: string, dir: string, file: string, timeoutMs: number): Promise<ObjectSymbols> {
  const r = await runTool(nm, ["-P", file], { cwd: dir, timeoutMs, missingPackage: "binutils" });
  if (r.exitCode !== 0) throw new OpmError("invalid_argument", `field \`after\`: nm cannot read ${file}: ${clipLog(r.stderr, 400)}`, { field: "after" });
  return parseNmListing(r.stdout.toString("utf8"));
}

/** The lines of `nm -P` (`name type value size`) as `ObjectSymbols`. */
export function parseNmListing(listing: string): ObjectSymbols {
  const defined = new Map<string, string>();
  const undef = new Set<string>();
  const functions: ObjectFunction[] = [];
  for (const line of listing.split("\n")) {
    const [name, type, , size] = line.trim().split(/\s+/);
    if (name === undefined || type === undefined) continue;
    if (type === "U" || type === "w" || type === "v") undef.add(name);
    else if (/^[TW]$/.test(type)) defined.set(name, "code");
    else if (/^[DBRCVGS]$/.test(type)) defined.set(name, "data");
    if (/^[TtW]$/.test(type)) functions.push({ name, local: type === "t", bytes: Math.max(1, parseInt(size ?? "", 16) || 0) });
  }
  return { defined, undefined: undef, functions };
}
