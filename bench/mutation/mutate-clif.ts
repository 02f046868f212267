/**
 * Deterministic, seeded mutants of CLIF as the Cranelift driver's `lower` prints it,
 * for the Cranelift rows of the verifier's mutation test. Each mutant edits one
 * instruction of one function and keeps every other function as it was; the result
 * is usually valid CLIF (a mutant the reader or Cranelift's verifier refuses is still
 * returned: the well-formed layer should reject it, and the benchmark reports it apart).
 */
import { createHash } from "node:crypto";
import { seededRandom } from "../../src/kernel/plan/index.js";

export const CLIF_MUTATION_KINDS = ["swap-add-sub", "cmp-condition", "drop-store", "change-constant"] as const;
export type ClifMutationKind = (typeof CLIF_MUTATION_KINDS)[number];

/** One function of a module, as `lower` returns it. */
export interface ClifFunction {
  clif_name: string;
  clif: string;
}

export interface ClifMutant {
  kind: ClifMutationKind;
  /** CLIF name of the edited function (`u0:4`). */
  function: string;
  /** 1-based line of the edited instruction within that function's text. */
  line: number;
  /** What changed, e.g. `iadd → isub`. */
  description: string;
  /** The whole module: every function's text joined by a blank line, one edited. */
  text: string;
}

const CONDITIONS = ["eq", "ne", "slt", "sge", "sgt", "sle", "ult", "uge", "ugt", "ule"];

interface Site {
  line: number;
  apply(rng: () => number): { replacement: string | null; description: string };
}

/** Every place in one function's text where a mutation of `kind` applies. */
function sites(text: string, kind: ClifMutationKind): Site[] {
  const found: Site[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    switch (kind) {
      case "swap-add-sub": {
        const m = /= (iadd|isub) /.exec(line);
        if (m) {
          const to = m[1] === "iadd" ? "isub" : "iadd";
          found.push({ line: i, apply: () => ({ replacement: line.replace(m[0], `= ${to} `), description: `${m[1]} → ${to}` }) });
        }
        break;
      }
      case "cmp-condition": {
        const m = /= (icmp(?:_imm)?) (\w+) /.exec(line);
        if (m) {
          found.push({ line: i, apply: (rng) => {
            const others = CONDITIONS.filter((c) => c !== m[2]);
            const to = others[Math.floor(rng() * others.length)]!;
            return { replacement: line.replace(m[0], `= ${m[1]} ${to} `), description: `${m[1]} ${m[2]} → ${to}` };
          } });
        }
        break;
      }
      case "drop-store":
        if (/^\s*(?:@[0-9a-f]+\s+)?(?:store|istore8|istore16|istore32) /.test(line)) {
          found.push({ line: i, apply: () => ({ replacement: null, description: `${line.trim().replace(/^@[0-9a-f]+\s+/, "")} removed` }) });
        }
        break;
      case "change-constant": {
        const m = /= iconst\.(i(?:8|16|32|64)) (-?(?:0x[0-9a-f_]+|\d+))\b/.exec(line);
        if (m) {
          found.push({ line: i, apply: () => {
            const old = m[2]!;
            const value = (old.startsWith("0x") ? BigInt(old.replace(/_/g, "")) : BigInt(old)) + 1n;
            const shown = old.startsWith("0x") ? `0x${value.toString(16)}` : `${value}`;
            return { replacement: line.replace(m[0], `= iconst.${m[1]} ${shown}`), description: `iconst.${m[1]} ${old} → ${shown}` };
          } });
        }
        break;
      }
    }
  }
  return found;
}

/**
 * Up to `count` mutants of `kind` in the functions `pick` accepts (default: those
 * that store to linear memory, `heap`), at distinct sites drawn by a PRNG seeded with
 * `seed` (same inputs ⇒ same mutants).
 */
export function generateClifMutants(
  functions: readonly ClifFunction[], kind: ClifMutationKind, count: number, seed: string,
  pick: (f: ClifFunction) => boolean = (f) => / store .*heap /.test(f.clif),
): ClifMutant[] {
  const rng = seededRandom(createHash("sha256").update(`${seed}\0${kind}`).digest().readUInt32LE(0));
  const all = functions.flatMap((f, fi) => (pick(f) ? sites(f.clif, kind).map((s) => ({ fi, s })) : []));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count).map(({ fi, s }) => {
    const { replacement, description } = s.apply(rng);
    const lines = functions[fi]!.clif.split("\n");
    if (replacement === null) lines.splice(s.line, 1);
    else lines[s.line] = replacement;
    const text = functions.map((f, k) => (k === fi ? lines.join("\n") : f.clif)).join("\n\n");
    return { kind, function: functions[fi]!.clif_name, line: s.line + 1, description, text };
  });
}
