/**
 * Index of the OpenPassMarket benchmark corpus: the hand-written C programs under
 * `bench/corpus/programs/` and their expected standard output under
 * `bench/corpus/expected/`. See `bench/corpus/README.md` for how they were checked.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One corpus program: a self-contained C11 file and the stdout every build must print. */
export interface CorpusProgram {
  /** Program name: the file name without `.c`, e.g. `"sha256"`. */
  readonly name: string;
  /** Absolute path of the C source file. */
  readonly path: string;
  /** Absolute path of the expected stdout (`expected/<name>.out`, from a clang -O0 build). */
  readonly expectedOutputPath: string;
}

/**
 * Finds the corpus directory. Normally this module sits in it; when it runs as a compiled
 * copy (e.g. `dist/bench/corpus/index.js`) the C sources are not next to it, so the nearest
 * ancestor's `bench/corpus` holding a `programs/` folder is used instead.
 */
function locateCorpusDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, "programs"))) return here;
  let dir = here;
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir) return here;
    dir = parent;
    const candidate = join(dir, "bench", "corpus");
    if (candidate !== here && existsSync(join(candidate, "programs"))) return candidate;
  }
}

/** Absolute path of `bench/corpus/`. */
export const CORPUS_DIR: string = locateCorpusDir();

/** Absolute path of the folder holding the hand-written C programs. */
export const PROGRAMS_DIR: string = join(CORPUS_DIR, "programs");

/** Absolute path of the folder holding the expected stdout of each program. */
export const EXPECTED_DIR: string = join(CORPUS_DIR, "expected");

/** Absolute path of the Csmith generator script (`csmith/generate.sh [COUNT] [OUTDIR]`). */
export const CSMITH_GENERATE_SCRIPT: string = join(CORPUS_DIR, "csmith", "generate.sh");

/**
 * Sysroot of Debian's wasi-libc (headers in `/usr/include/wasm32-wasi`, libraries in
 * `/usr/lib/wasm32-wasi`), overridable with the `WASI_SYSROOT` environment variable.
 */
export const WASI_SYSROOT: string = process.env["WASI_SYSROOT"] ?? "/usr";

/**
 * The clang arguments that compile one corpus program to a wasm32-wasi module, e.g.
 * `clang --target=wasm32-wasi --sysroot=/usr -O2 -o out.wasm prog.c`.
 */
export function wasmCompileArgs(source: string, output: string, optLevel = "-O2"): string[] {
  return ["--target=wasm32-wasi", `--sysroot=${WASI_SYSROOT}`, optLevel, "-o", output, source];
}

/**
 * Lists the corpus programs found on disk (`programs/*.c`), sorted by name. Programs whose
 * expected output file is missing are still listed; callers decide how to treat that.
 */
export function corpusPrograms(): CorpusProgram[] {
  if (!existsSync(PROGRAMS_DIR)) return [];
  return readdirSync(PROGRAMS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".c"))
    .map((entry) => entry.name.slice(0, -2))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({
      name,
      path: join(PROGRAMS_DIR, `${name}.c`),
      expectedOutputPath: join(EXPECTED_DIR, `${name}.out`),
    }));
}
