/**
 * Deterministic, seeded mutants of textual LLVM IR (as `opt -S` prints it) for the
 * verifier's mutation test. Each kind edits one instruction; the result is usually a
 * valid module, and a mutant that no longer parses is still returned (the verifier's
 * well-formed layer should reject it; the benchmark reports such mutants apart).
 */
import { createHash } from "node:crypto";
import { matchingClose, splitTopLevel } from "../../src/adapters/llvm/read-llvm-type.js";
import { seededRandom } from "../../src/kernel/plan/index.js";

export const MUTATION_KINDS = [
  "swap-add-sub", "cmp-predicate", "drop-store", "change-constant", "swap-branch-targets", "change-call-arg",
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutant {
  kind: MutationKind;
  /** 1-based line of the edited instruction in the original text. */
  line: number;
  /** The function the edited instruction is in (its IR name, unquoted, without `@`). */
  fn: string;
  /** What changed, e.g. `add → sub`. */
  description: string;
  text: string;
}

/** One place a mutation can apply: the line and the replacement line (`null` = delete). */
interface Site {
  kind: MutationKind;
  line: number;
  fn: string;
  apply(rng: () => number): { replacement: string | null; description: string };
}

const PREDICATES = ["eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle"];

/** Every place in `ir` where a mutation of `kind` applies (instruction lines inside function bodies). */
function sites(ir: string, kind: MutationKind): Site[] {
  const lines = ir.split("\n");
  const found: Site[] = [];
  let fn: string | undefined;
  for (const [i, line] of lines.entries()) {
    if (line.startsWith("define ")) fn = functionName(line);
    else if (line === "}") fn = undefined;
    if (fn === undefined || !/^\s/.test(line)) continue;
    const here = { kind, line: i, fn };
    switch (kind) {
      case "swap-add-sub": {
        const m = /^(\s+%\S+ = )(add|sub)\b/.exec(line);
        if (m) found.push({ ...here, apply: () => ({ replacement: line.replace(/= (add|sub)\b/, m[2] === "add" ? "= sub" : "= add"), description: `${m[2]} → ${m[2] === "add" ? "sub" : "add"}` }) });
        break;
      }
      case "cmp-predicate": {
        const m = /= icmp (\w+) /.exec(line);
        if (m) {
          found.push({ ...here, apply: (rng) => {
            const others = PREDICATES.filter((p) => p !== m[1]);
            const p = others[Math.floor(rng() * others.length)]!;
            return { replacement: line.replace(`= icmp ${m[1]} `, `= icmp ${p} `), description: `icmp ${m[1]} → ${p}` };
          } });
        }
        break;
      }
      case "drop-store":
        if (/^\s+store /.test(line)) found.push({ ...here, apply: () => ({ replacement: null, description: "store removed" }) });
        break;
      case "change-constant": {
        if (/@llvm\.|= alloca |= phi |switch /.test(line)) break;
        for (const m of line.matchAll(/\b(i(?:8|16|32|64)) (-?\d+)\b/g)) {
          const at = m.index;
          found.push({ ...here, apply: () => {
            const value = BigInt(m[2]!) + 1n;
            return { replacement: `${line.slice(0, at)}${m[1]} ${value}${line.slice(at + m[0].length)}`, description: `${m[1]} ${m[2]} → ${value}` };
          } });
        }
        break;
      }
      case "swap-branch-targets": {
        const m = /br i1 ([^,]+), label (%\S+), label (%\S+)/.exec(line);
        if (m) found.push({ ...here, apply: () => ({ replacement: line.replace(m[0], `br i1 ${m[1]}, label ${m[3]}, label ${m[2]}`), description: `targets ${m[2]} ↔ ${m[3]}` }) });
        break;
      }
      case "change-call-arg": {
        const m = /\bcall\b.*?@([-\w$.]+)\(/.exec(line);
        if (!m || m[1]!.startsWith("llvm.")) break;
        const open = m.index + m[0].length - 1;
        const close = matchingClose(line, open);
        if (close < 0) break;
        const args = splitTopLevel(line.slice(open + 1, close));
        for (const [k, arg] of args.entries()) {
          // An integer argument with a plain value (`i32 noundef %5`, `i64 7`), not a constant expression.
          const a = /^(i(?:8|16|32|64))(\s+(?:[a-z_]+(?:\(\d+\))?\s+)*)(%[-\w$.]+|-?\d+)$/.exec(arg);
          if (!a) continue;
          found.push({ ...here, apply: () => {
            const old = a[3]!;
            const value = /^-?\d+$/.test(old) ? `${BigInt(old) + 1n}` : "1";
            const changed = [...args];
            changed[k] = `${a[1]}${a[2]}${value}`;
            return { replacement: `${line.slice(0, open + 1)}${changed.join(", ")}${line.slice(close)}`, description: `@${m[1]} argument ${k + 1}: ${old} → ${value}` };
          } });
        }
        break;
      }
    }
  }
  return found;
}

/**
 * Up to `count` mutants of `kind`, at distinct sites drawn by a PRNG seeded with
 * `seed` (same inputs ⇒ same mutants). Fewer when the module has fewer sites.
 */
export function generateMutants(ir: string, kind: MutationKind, count: number, seed: string): Mutant[] {
  const rng = seededRandom(createHash("sha256").update(`${seed}\0${kind}`).digest().readUInt32LE(0));
  const all = shuffled(sites(ir, kind), rng);
  const lines = ir.split("\n");
  return all.slice(0, count).map((site) => mutantAt(lines, site, rng));
}

/**
 * Up to `count` mutants of any kind in the functions `functions` names, spread over them:
 * the functions are visited in a seeded order, round after round, and each gives one
 * mutant per round at a site not used yet — of the next kind (in `MUTATION_KINDS` order)
 * it has a site of. Same inputs ⇒ same mutants; fewer when the functions have fewer sites.
 */
export function generateSpreadMutants(ir: string, functions: ReadonlySet<string>, count: number, seed: string): Mutant[] {
  const rng = seededRandom(createHash("sha256").update(`${seed}\0spread`).digest().readUInt32LE(0));
  const byFunction = new Map<string, Map<MutationKind, Site[]>>();
  for (const kind of MUTATION_KINDS) {
    for (const site of sites(ir, kind)) {
      if (!functions.has(site.fn)) continue;
      const kinds = byFunction.get(site.fn) ?? new Map<MutationKind, Site[]>();
      byFunction.set(site.fn, kinds);
      kinds.set(kind, [...(kinds.get(kind) ?? []), site]);
    }
  }
  for (const kinds of byFunction.values()) for (const [kind, list] of kinds) kinds.set(kind, shuffled(list, rng));
  const order = shuffled([...byFunction.keys()].sort(), rng);
  const picked: Site[] = [];
  let nextKind = 0;
  while (picked.length < count && order.some((fn) => [...byFunction.get(fn)!.values()].some((l) => l.length > 0))) {
    for (const fn of order) {
      if (picked.length >= count) break;
      const kinds = byFunction.get(fn)!;
      for (let k = 0; k < MUTATION_KINDS.length; k++) {
        const kind = MUTATION_KINDS[(nextKind + k) % MUTATION_KINDS.length]!;
        const site = kinds.get(kind)?.pop();
        if (site === undefined) continue;
        picked.push(site);
        nextKind = (nextKind + k + 1) % MUTATION_KINDS.length;
        break;
      }
    }
  }
  const lines = ir.split("\n");
  return picked.map((site) => mutantAt(lines, site, rng));
}

function mutantAt(lines: readonly string[], site: Site, rng: () => number): Mutant {
  const { replacement, description } = site.apply(rng);
  const edited = [...lines];
  if (replacement === null) edited.splice(site.line, 1);
  else edited[site.line] = replacement;
  return { kind: site.kind, line: site.line + 1, fn: site.fn, description, text: edited.join("\n") };
}

/** Fisher–Yates in place, driven by `rng`. */
function shuffled<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The name a `define` line gives its function, unquoted, without `@`. */
export function functionName(defineLine: string): string {
  const m = /@("(?:[^"\\]|\\.)*"|[-\w$.]+)\(/.exec(defineLine);
  if (m === null) return "";
  return m[1]!.startsWith('"') ? m[1]!.slice(1, -1) : m[1]!;
}
