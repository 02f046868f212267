/**
 * Benchmark corpus: every hand-written C program must print exactly its expected output
 * when built with clang -O0/-Oz and gcc -O0/-Os, and must compile to wasm32-wasi.
 * The Csmith generator must produce compiling programs deterministically.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiter, onPath, run } from "./support/processes.js";
import { CORPUS_DIR, CSMITH_GENERATE_SCRIPT, corpusPrograms, wasmCompileArgs } from "../bench/corpus/index.js";


/** At most this many compiler/program processes run at once (CI machines have 2 cores). */
const CONCURRENCY = 2;
const COMPILE_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 10_000;
const CSMITH_INCLUDE = process.env["CSMITH_INCLUDE"] ?? "/usr/include/csmith";

/** Native build configurations checked against the expected output. */
const NATIVE_BUILDS: ReadonlyArray<{ cc: string; opt: string }> = [
  { cc: "clang", opt: "-O0" },
  { cc: "clang", opt: "-Oz" },
  { cc: "gcc", opt: "-O0" },
  { cc: "gcc", opt: "-Os" },
];

const limit = createLimiter(CONCURRENCY);
const programs = corpusPrograms();
const hasCsmith = onPath("csmith");
if (!hasCsmith) {
  console.warn("corpus.test: csmith is not on PATH, skipping the Csmith generator test (Debian: apt-get install csmith libcsmith-dev)");
}

let workDir = "";

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "opm-corpus-"));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("benchmark corpus", () => {
  it("lists at least 22 programs, sorted, each with an expected output", () => {
    expect(programs.length).toBeGreaterThanOrEqual(22);
    const names = programs.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    for (const p of programs) {
      expect(p.path.startsWith(CORPUS_DIR)).toBe(true);
      expect(existsSync(p.path)).toBe(true);
      expect(existsSync(p.expectedOutputPath), `missing ${p.expectedOutputPath}`).toBe(true);
      expect(readFileSync(p.expectedOutputPath, "utf8").length).toBeGreaterThan(0);
    }
  });

  it.concurrent.for(programs)(
    "$name prints its expected output with clang -O0/-Oz, gcc -O0/-Os, and compiles to wasm32",
    { timeout: 120_000 },
    async (program, { expect }) => {
      const expected = await readFile(program.expectedOutputPath, "utf8");
      const jobs = NATIVE_BUILDS.map(({ cc, opt }) =>
        limit(async () => {
          const exe = join(workDir, `${program.name}.${cc}${opt}`);
          await run(cc, ["-std=c11", opt, "-o", exe, program.path], COMPILE_TIMEOUT_MS);
          const { stdout } = await run(exe, [], RUN_TIMEOUT_MS);
          return { label: `${cc} ${opt}`, stdout };
        }),
      );
      const wasm = join(workDir, `${program.name}.wasm`);
      const wasmJob = limit(() => run("clang", wasmCompileArgs(program.path, wasm), COMPILE_TIMEOUT_MS));
      const results = await Promise.all(jobs);
      await wasmJob;
      for (const { label, stdout } of results) {
        expect(stdout, `${program.name} built with ${label}`).toBe(expected);
      }
      const magic = (await readFile(wasm)).subarray(0, 4);
      expect([...magic]).toEqual([0x00, 0x61, 0x73, 0x6d]); // "\0asm"
    },
  );
});

describe("csmith generator", () => {
  it.skipIf(!hasCsmith)(
    "generate.sh 3 produces three deterministic programs that compile and reproduce their checksum",
    { timeout: 120_000 },
    async () => {
      const outDir = join(workDir, "csmith");
      await run("bash", [CSMITH_GENERATE_SCRIPT, "3", outDir], 110_000);
      const sources = (await readdir(outDir)).filter((f) => f.endsWith(".c")).sort();
      expect(sources).toHaveLength(3);
      const seeds = (await readFile(join(outDir, "seeds.txt"), "utf8")).trim().split("\n");
      expect(seeds).toHaveLength(3);
      expect([...sources].sort()).toEqual(seeds.map((s) => `csmith-${s}.c`).sort());
      await Promise.all(
        sources.map((file) =>
          limit(async () => {
            const src = join(outDir, file);
            const exe = src.replace(/\.c$/, ".exe");
            await run("clang", ["-std=c99", "-O1", "-w", `-I${CSMITH_INCLUDE}`, "-o", exe, src], COMPILE_TIMEOUT_MS);
            const { stdout } = await run(exe, [], RUN_TIMEOUT_MS);
            expect(stdout).toMatch(/^checksum = [0-9A-F]+\n$/);
            expect(stdout).toBe(await readFile(src.replace(/\.c$/, ".out"), "utf8"));
          }),
        ),
      );
    },
  );
});
