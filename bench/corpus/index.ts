/**
 * Index of the OpenPassMarket benchmark corpus: the hand-written C programs under
 * `bench/corpus/programs/` and their expected standard output under
 * `bench/corpus/expected/`, and the real multi-file programs under `bench/corpus/real/`
 * (`realPrograms()`). See `bench/corpus/README.md` for how they were checked.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { RunSpec } from "../../src/kernel/plan/index.js";
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

/** Absolute path of the folder holding the real, multi-file open-source programs. */
export const REAL_PROGRAMS_DIR: string = join(CORPUS_DIR, "real");

/**
 * One real program of `real/<name>/`: upstream C sources (unmodified) plus a `driver.c`
 * that reads an input file, described by `real/<name>/program.json`. Paths in the manifest
 * are relative to the program's folder; here they are absolute.
 */
export interface RealProgram {
  /** Program name, e.g. `"zlib"` (also the folder name). */
  readonly name: string;
  /** Upstream version, e.g. `"1.4"`. */
  readonly version: string;
  /** Licence of the upstream sources (SPDX identifier where one exists). */
  readonly license: string;
  /** Registry package the sources were taken from, e.g. `"crates.io libz-sys 1.1.33 (src/zlib/)"`. */
  readonly origin: string;
  /** Absolute path of the program's folder (`real/<name>`). */
  readonly dir: string;
  /** Absolute path of `program.json`. */
  readonly manifestPath: string;
  /** Absolute path of `compile_commands.json` (its `directory` is `"."`: the folder of the file). */
  readonly compileCommandsPath: string;
  /** Absolute paths of the C files to compile (`driver.c` first), one object file each. */
  readonly sources: readonly string[];
  /** Absolute include folders, each passed as `-I<dir>`. */
  readonly includeDirs: readonly string[];
  /** Preprocessor definitions, `NAME` or `NAME=VALUE`, each passed as `-D<def>`. */
  readonly defines: readonly string[];
  /** Libraries for the link, each passed as `-l<lib>` after the objects (e.g. `["m"]`). */
  readonly libs: readonly string[];
  /** Program arguments: absolute paths of the input files in the program's folder. */
  readonly args: readonly string[];
  /** Absolute path of the stdout every build must print (from a clang -O0 build). */
  readonly expectedOutputPath: string;
}

/** The manifest as stored in `real/<name>/program.json` (paths relative to its folder). */
interface RealProgramManifest {
  name: string;
  version: string;
  license: string;
  origin: string;
  sources: string[];
  includeDirs: string[];
  defines: string[];
  libs: string[];
  args: string[];
  expectedOutput: string;
}

/**
 * Lists the real programs (`real/<name>/program.json`), sorted by name, with absolute
 * paths. Build one with `cc -I<dir>... -D<def>... -c <source>` per source, then link the
 * objects with `-l<lib>...`; run it with `args` and compare stdout with `expectedOutputPath`.
 */
export function realPrograms(): RealProgram[] {
  if (!existsSync(REAL_PROGRAMS_DIR)) return [];
  return readdirSync(REAL_PROGRAMS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(REAL_PROGRAMS_DIR, entry.name, "program.json")))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => {
      const dir = join(REAL_PROGRAMS_DIR, name);
      const manifestPath = join(dir, "program.json");
      const m = JSON.parse(readFileSync(manifestPath, "utf8")) as RealProgramManifest;
      return {
        name: m.name,
        version: m.version,
        license: m.license,
        origin: m.origin,
        dir,
        manifestPath,
        compileCommandsPath: join(dir, "compile_commands.json"),
        sources: m.sources.map((s) => join(dir, s)),
        includeDirs: m.includeDirs.map((d) => join(dir, d)),
        defines: [...m.defines],
        libs: [...m.libs],
        args: m.args.map((a) => join(dir, a)),
        expectedOutputPath: join(dir, m.expectedOutput),
      };
    });
}

/**
 * The run a real program's manifest describes, as a run specification: its input files
 * in the working directory, their names as arguments, stdout, exit status and written
 * files compared.
 */
export function realProgramRun(p: RealProgram): RunSpec {
  return {
    name: p.name, args: p.args.map((a) => basename(a)), stdin: new Uint8Array(),
    files: p.args.map((a) => ({ name: basename(a), contents: readFileSync(a) })), env: {}, compare: ["exit", "files", "stdout"],
  };
}
