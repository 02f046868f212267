/** Counts read from CLIF text by `countClifOpcodes`. */
export interface ClifCounts {
  functions: number;
  blocks: number;
  instructions: number;
  /** Instructions per opcode (`iadd`, `load`, `brif`; type suffixes such as `.i32` dropped). */
  opcodes: Map<string, number>;
}

/** `v3 = `, `v3, v4 = ` before an opcode. */
const RESULTS = /^(?:v\d+(?:\s*,\s*v\d+)*\s*=\s*)?/;

/**
 * Counts functions, blocks and instructions per opcode in CLIF text as the driver
 * prints it (`function … {`, preamble lines, `blockN(…):` headers, instructions
 * optionally prefixed by a `@xxxx` source location, `vN -> vM` alias lines, `;`
 * comments, `}`). Only lines after a function's first block header and before its
 * `}` are instructions; alias lines are not. A minimal reader, not a parser: it
 * relies on the one-instruction-per-line layout of Cranelift's printer.
 */
export function countClifOpcodes(clif: string): ClifCounts {
  const counts: ClifCounts = { functions: 0, blocks: 0, instructions: 0, opcodes: new Map() };
  let inFunction = false;
  let inBlocks = false;
  for (const raw of clif.split("\n")) {
    const semi = raw.indexOf(";");
    let line = (semi < 0 ? raw : raw.slice(0, semi)).trim();
    if (line === "") continue;
    if (line.startsWith("function ")) {
      counts.functions++;
      inFunction = true;
      inBlocks = false;
      continue;
    }
    if (!inFunction) continue;
    if (line === "}") {
      inFunction = false;
      continue;
    }
    if (/^block\d+\s*(\(.*\))?\s*:$/.test(line)) {
      counts.blocks++;
      inBlocks = true;
      continue;
    }
    if (!inBlocks) continue;
    if (line.startsWith("@")) line = line.replace(/^@\S+\s*/, "");
    if (/^v\d+\s*->/.test(line)) continue;
    const opcode = /^([a-z_][a-z0-9_]*)/.exec(line.replace(RESULTS, ""))?.[1];
    if (opcode === undefined) continue;
    counts.instructions++;
    counts.opcodes.set(opcode, (counts.opcodes.get(opcode) ?? 0) + 1);
  }
  return counts;
}

/**
 * Privacy-safe features of a Cranelift problem from the CLIF texts of its
 * functions: `clif.<opcode>` per opcode present, plus `clif.functions`,
 * `clif.blocks` and `clif.instructions` (the sum of the opcode counts). Keys are
 * sorted so that the record serialises the same way every time.
 */
export function clifFeatures(clifTexts: readonly string[]): Record<string, number> {
  const total = countClifOpcodes(clifTexts.join("\n"));
  const features: Record<string, number> = {
    "clif.blocks": total.blocks,
    "clif.functions": total.functions,
    "clif.instructions": total.instructions,
  };
  for (const [op, n] of [...total.opcodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) features[`clif.${op}`] = n;
  return Object.fromEntries(Object.entries(features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
