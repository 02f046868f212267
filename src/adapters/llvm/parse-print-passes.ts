import type { PassLevel, PassOffer, PassParameter } from "../../kernel/plan/index.js";
import { isExcludedPass } from "./llvm-pass-exclusions.js";

/** Section headings of `opt -print-passes` (LLVM 14) that list transform passes, and their level. */
const SECTION_LEVELS: Readonly<Record<string, PassLevel>> = {
  "Module passes": "module",
  "Module passes with params": "module",
  "CGSCC passes": "cgscc",
  "CGSCC passes with params": "cgscc",
  "Function passes": "function",
  "Function passes with params": "function",
  "LoopNest passes": "loop",
  "Loop passes": "loop",
  "Loop passes with params": "loop",
};

/** Claimed by every offered pass: they are meant to keep behaviour and the external symbols. */
/** LLVM reads `X=N` pass parameters into a C++ `int` (or `unsigned`, which we cap the same way). */
const INT32_MAX = 2147483647;

const INVARIANTS = ["semantics", "interface"];

/** The `default<Ox>` pipelines, offered as one `opt-level` entry whose value is the level. */
export const DEFAULT_PIPELINE_OFFER: PassOffer = {
  name: "default",
  level: "opt-level",
  parameters: [{ name: "level", kind: "enum", values: ["O0", "O1", "O2", "O3", "Os", "Oz"] }],
  invariants: INVARIANTS,
  description: "the standard pipeline of an optimisation level; the step value is required (`Oz` → default<Oz>)",
};

/**
 * Turns the output of `opt -print-passes` into offers: one per transform pass of the
 * module/CGSCC/function/loop sections, deduplicated by name (first section wins),
 * analyses skipped, `isExcludedPass` names dropped. `Name<a;no-b;b;c=N>` entries
 * yield parameters (see `parsePassParameters`). `descriptions` maps a pass name to
 * its one-line description (from `opt --help`). `DEFAULT_PIPELINE_OFFER` is appended.
 */
export function parsePrintPasses(text: string, descriptions: ReadonlyMap<string, string> = new Map()): PassOffer[] {
  const offers = new Map<string, PassOffer>();
  let level: PassLevel | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith(" ")) {
      const heading = line.trim().replace(/:$/, "");
      level = SECTION_LEVELS[heading];
      continue;
    }
    if (level === undefined) continue;
    const entry = line.trim();
    const lt = entry.indexOf("<");
    const name = lt < 0 ? entry : entry.slice(0, lt);
    if (isExcludedPass(name) || isExcludedPass(entry) || offers.has(name)) continue;
    const parameters = lt < 0 ? [] : parsePassParameters(entry.slice(lt + 1, entry.lastIndexOf(">")));
    offers.set(name, {
      name,
      level,
      parameters,
      invariants: INVARIANTS,
      description: descriptions.get(name) ?? `LLVM ${level} pass`,
    });
  }
  return [...offers.values(), DEFAULT_PIPELINE_OFFER];
}

/**
 * Parameters from the `<…>` syntax of `-print-passes`: `no-X;X` pairs → bool `X`;
 * `X=N` → int `X` in [0, 2^31-1] (LLVM prints no bound; it parses an `int`); a run of `O0;O1;…` → enum
 * `opt-level`; a lone word (`single`, `memssa`, `only-mandatory`) → bool, off unless given.
 */
export function parsePassParameters(spec: string): PassParameter[] {
  const items = spec.split(";").filter((s) => s !== "");
  const params: PassParameter[] = [];
  const levels = items.filter((s) => /^O[0-3sz]$/.test(s));
  if (levels.length > 0) params.push({ name: "opt-level", kind: "enum", values: levels });
  const words = new Set(items);
  for (const item of items) {
    if (/^O[0-3sz]$/.test(item)) continue;
    const eq = /^([\w-]+)=N$/.exec(item);
    if (eq) {
      params.push({ name: eq[1]!, kind: "int", min: 0, max: INT32_MAX });
      continue;
    }
    if (item.startsWith("no-") && words.has(item.slice(3))) continue; // reported with the positive form
    params.push({ name: item, kind: "bool" });
  }
  return params;
}

/** `--name   - description` lines of `opt --help` → name → description. */
export function parseOptHelp(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of text.matchAll(/^\s+--([\w-]+)\s+- (.+)$/gm)) map.set(m[1]!, m[2]!.trim());
  return map;
}
