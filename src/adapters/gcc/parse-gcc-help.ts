import type { PassOffer, PassParameter } from "../../kernel/plan/index.js";

/** GCC's largest value for an unranged integer option or `--param` (a C `int`). */
export const GCC_INT_MAX = 2147483647;

/** An offer still to be checked against the installed gcc, with the arguments that check it. */
export interface GccCandidate {
  offer: PassOffer;
  /** Options that exercise the offer on an empty file (`-ffoo`, `--param=x=4`). */
  testArgs: string[];
}

/** `  -name   rest` lines of a `--help=` listing → name → rest (first line only). */
function listing(text: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const m of text.matchAll(/^ {2}(-\S+)[ \t]*(.*)$/gm)) rows.push([m[1]!, m[2]!.trim()]);
  return rows;
}

/**
 * Option name → description from `gcc --help=optimizers` / `--help=params` (without
 * `-Q`): the text after the option, continuation lines (indented 30 columns) joined.
 */
export function parseGccDescriptions(text: string): Map<string, string> {
  const map = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^ {2}(-\S+)\s*(.*)$/.exec(line);
    if (head) {
      current = optionKey(head[1]!);
      map.set(current, head[2]!.trim());
    } else if (current !== undefined && /^ {10,}\S/.test(line)) {
      map.set(current, `${map.get(current)} ${line.trim()}`.trim());
    } else current = undefined;
  }
  return map;
}

/** `-falign-functions=`, `--param=x=<0,1>` and `-fx=[a|b]` all keyed by their spelling before `<`/`[`. */
function optionKey(spelling: string): string {
  return spelling.replace(/[<[].*$/, "");
}

/** Value syntax after `=`: `<min,max>`, `<number>`, `[a|b|c]` or nothing. */
function valueParameter(syntax: string, shown: string): PassParameter {
  const range = /^<(-?\d+),(-?\d+)>$/.exec(syntax);
  const values = /^\[(.+)\]$/.exec(syntax)?.[1]?.split("|");
  const fallbackDefault = /^-?\d+$/.test(shown) || (values?.includes(shown) ?? false) ? shown : undefined;
  const withDefault = (p: PassParameter): PassParameter => (fallbackDefault === undefined ? p : { ...p, default: fallbackDefault });
  if (range) return withDefault({ name: "value", kind: "int", min: Number(range[1]), max: Number(range[2]) });
  if (values) return withDefault({ name: "value", kind: "enum", values });
  if (syntax === "<number>") return withDefault({ name: "value", kind: "int", min: 0, max: GCC_INT_MAX });
  return withDefault({ name: "value", kind: "string" });
}

/** A value GCC should accept for the parameter: the shown default if it is valid, else the minimum. */
function testValue(p: PassParameter): string {
  if (p.kind === "enum") return p.default ?? p.values?.[0] ?? "";
  if (p.kind === "string") return "0";
  const d = p.default === undefined ? NaN : Number(p.default);
  // Defaults such as -1 are GCC-internal "unset" markers that the command line refuses.
  if (Number.isInteger(d) && d >= Math.max(p.min ?? 0, 0) && d <= (p.max ?? GCC_INT_MAX)) return String(d);
  const min = Math.max(p.min ?? 0, 0);
  return String(min <= 1 && 1 <= (p.max ?? GCC_INT_MAX) ? 1 : min);
}

/**
 * Candidates from `gcc -Q --help=optimizers -Os`: `-O` levels (`-O<number>` becomes
 * `-O0`…`-O3`), on/off flags (level `flag`, one bool parameter `enabled` whose
 * default is the state at -Os; checked in both states), and `-fx=` options (level `flag`, one `value`
 * parameter: int with GCC's range, enum, or string). Aliases (`-fhandle-exceptions
 * -fexceptions`) are kept only as spelled; the empty-file check decides.
 */
export function parseOptimizerFlags(qOs: string, descriptions: ReadonlyMap<string, string>): GccCandidate[] {
  const out: GccCandidate[] = [];
  for (const [spelling, state] of listing(qOs)) {
    const key = optionKey(spelling);
    const description = descriptions.get(key);
    if (spelling === "-O<number>") {
      for (const n of ["0", "1", "2", "3"]) out.push(levelCandidate(`-O${n}`, descriptions.get("-O")));
      continue;
    }
    if (/^-O\w+$/.test(spelling)) {
      out.push(levelCandidate(spelling, description));
      continue;
    }
    if (!spelling.startsWith("-f")) continue; // -gstatement-frontiers and the like are debug options
    const eq = spelling.indexOf("=");
    const base = { level: "flag" as const, invariants: ["semantics"], ...(description ? { description } : {}) };
    if (eq < 0) {
      const enabled = state === "[enabled]" ? "on" : state === "[disabled]" ? "off" : undefined;
      const parameter: PassParameter = { name: "enabled", kind: "bool", ...(enabled ? { default: enabled } : {}) };
      // Both states are checked: a few flags (`-fstack-protector-all`) have no `-fno-` form.
      out.push({ offer: { name: spelling, parameters: [parameter], ...base }, testArgs: [spelling, negatedFlag(spelling)] });
    } else {
      const name = spelling.slice(0, eq + 1);
      const parameter = valueParameter(spelling.slice(eq + 1), state);
      out.push({ offer: { name, parameters: [parameter], ...base }, testArgs: [`${name}${testValue(parameter)}`] });
    }
  }
  return out;
}

/** `-ffoo` → `-fno-foo`; a flag listed negatively, `-fno-foo` → `-ffoo`. */
export function negatedFlag(flag: string): string {
  return flag.startsWith("-fno-") ? `-f${flag.slice(5)}` : `-fno-${flag.slice(2)}`;
}

function levelCandidate(name: string, description: string | undefined): GccCandidate {
  return {
    offer: { name, level: "opt-level", parameters: [], invariants: ["semantics"], ...(description ? { description } : {}) },
    testArgs: [name],
  };
}

/**
 * Candidates from `gcc -Q --help=params -Os`: one offer per parameter (level `param`,
 * named without `--param=`), with one `value` parameter: int with the `<min,max>`
 * GCC prints, or [0, 2^31-1] when it prints none (GCC's unsigned-int default); enum
 * for `[a|b]` params. The default is the value at -Os when GCC shows a valid one.
 */
export function parseParams(qOs: string, descriptions: ReadonlyMap<string, string>): GccCandidate[] {
  const out: GccCandidate[] = [];
  for (const [spelling, shown] of listing(qOs)) {
    const m = /^--param=([\w-]+)=(.*)$/.exec(spelling);
    if (!m) continue;
    const name = m[1]!;
    let syntax = m[2]!;
    let description = descriptions.get(`--param=${name}=`);
    if (syntax === "" && shown !== "" && !/^-?\d+$/.test(shown)) {
      // Enumerated params (`evrp-mode`) list their values only in the description,
      // wrapped at hyphens: `[legacy|ranger|legacy- first|ranger-first] Specifies …`.
      const bracket = /\[([^\]]+)\]\s*/.exec(description ?? "");
      if (bracket) {
        syntax = `[${bracket[1]!.replace(/-\s+/g, "-").replace(/\s+/g, "")}]`;
        description = description!.slice(bracket.index + bracket[0].length);
      }
    }
    let parameter = valueParameter(syntax === "" ? "<number>" : syntax, shown);
    if (parameter.default !== undefined && parameter.kind === "int" && Number(parameter.default) < (parameter.min ?? 0)) {
      const { default: _unset, ...rest } = parameter;
      parameter = rest;
    }
    out.push({
      offer: { name, level: "param", parameters: [parameter], invariants: ["semantics"], ...(description ? { description } : {}) },
      testArgs: [`--param=${name}=${testValue(parameter)}`],
    });
  }
  return out;
}
