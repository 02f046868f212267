/**
 * The programs of the leave-one-out transfer benchmark: the corpus programs, the real
 * programs (those named), and Csmith programs (a minority) generated on demand.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { readProgramSource, type ProgramSource } from "../../src/adapters/framework/program-source.js";
import type { RunSpec } from "../../src/kernel/plan/index.js";
import { corpusPrograms, CSMITH_GENERATE_SCRIPT, realProgramRun, realPrograms } from "../corpus/index.js";

/** Csmith's runtime headers (`libcsmith-dev`). */
const CSMITH_HEADERS = "/usr/include/csmith";

/** One benchmark program: how to read it, how to run it, and its C source for the UBSan reference. */
export interface BenchProgram {
  name: string;
  kind: "corpus" | "real" | "csmith";
  program: ProgramSource;
  runs: RunSpec[];
  /** The one C file (corpus, Csmith): the verifier also builds a UBSan reference from it. */
  source?: string;
  /** Share of changed code the runs (or direct tests) must execute; unset: every changed function (the verifier's default). */
  requiredCoverage?: number;
}

/**
 * The programs: every corpus program, the real ones in `real` (verified with
 * `realCoverage` as their required coverage when given), and `csmith` Csmith programs
 * generated into `csmithDir`.
 */
export function benchPrograms(real: readonly string[], csmith: number, csmithDir: string, realCoverage?: number, bundledHeaders = false): BenchProgram[] {
  const out: BenchProgram[] = corpusPrograms().map((p) => ({ name: p.name, kind: "corpus", program: readProgramSource([p.path]), runs: [], source: p.path }));
  for (const p of realPrograms().filter((r) => real.includes(r.name))) {
    out.push({ name: p.name, kind: "real", program: readProgramSource([p.compileCommandsPath]), runs: [realProgramRun(p)], ...(realCoverage === undefined ? {} : { requiredCoverage: realCoverage }) });
  }
  if (csmith > 0) {
    const have = existsSync(csmithDir) ? readdirSync(csmithDir).filter((f) => /^csmith-\d+\.c$/.test(f)).length : 0;
    if (have < csmith) execFileSync("bash", [CSMITH_GENERATE_SCRIPT, String(csmith), csmithDir], { stdio: ["ignore", "ignore", "inherit"] });
    const seeds = readFileSync(join(csmithDir, "seeds.txt"), "utf8").split(/\s+/).filter((s) => s !== "").slice(0, csmith);
    // GCC ships a program as a C bundle of the files under its root: Csmith's headers then come along from a copy next to the programs.
    const include = bundledHeaders ? join(csmithDir, "include") : CSMITH_HEADERS;
    if (bundledHeaders) {
      mkdirSync(include, { recursive: true });
      for (const f of readdirSync(CSMITH_HEADERS).filter((n) => n.endsWith(".h"))) copyFileSync(join(CSMITH_HEADERS, f), join(include, f));
    }
    for (const seed of seeds) {
      const path = join(csmithDir, `csmith-${seed}.c`);
      out.push({ name: `csmith-${seed}`, kind: "csmith", program: readProgramSource([path], { cflags: [`-I${include}`, "-w"] }), runs: [] }); // no UBSan reference: it would need the Csmith headers
    }
  }
  return out;
}
