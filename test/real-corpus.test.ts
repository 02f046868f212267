/**
 * Real programs of the benchmark corpus (bench/corpus/real/): multi-file open-source C
 * libraries with a driver that reads an input file. Each must build from its manifest
 * (one object per source, local include folders, -D flags, link libraries) with clang -O0
 * and gcc -Os and print exactly its expected output; its compile_commands.json must match
 * the manifest; and the instruction count of its linked LLVM module (clang -Oz front end,
 * no LLVM passes, llvm-link) is measured and reported.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiter, onPath, run } from "./support/processes.js";
import { REAL_PROGRAMS_DIR, realPrograms, type RealProgram } from "../bench/corpus/index.js";
import { countInstructions, readLlvmIr } from "../src/adapters/llvm/index.js";


/** At most this many compiler/program processes run at once (CI machines have 2 cores). */
const CONCURRENCY = 2;
const COMPILE_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 20_000;

/** The `-I`/`-D` flags of a program. */
function cflags(p: RealProgram): string[] {
  return [...p.includeDirs.map((d) => `-I${d}`), ...p.defines.map((d) => `-D${d}`)];
}

const limit = createLimiter(CONCURRENCY);
const programs = realPrograms();
const llvmLink = onPath("llvm-link") ? "llvm-link" : "llvm-link-14";
let workDir = "";

/** Compiles every source to its own object, then links with the manifest's libraries. */
async function build(p: RealProgram, cc: string, opt: string): Promise<string> {
  const dir = join(workDir, `${p.name}.${cc}${opt}`);
  await mkdir(dir, { recursive: true });
  const objects = await Promise.all(
    p.sources.map((src, i) =>
      limit(async () => {
        const obj = join(dir, `${i}.o`);
        await run(cc, [opt, "-w", ...cflags(p), "-c", src, "-o", obj], COMPILE_TIMEOUT_MS);
        return obj;
      }),
    ),
  );
  const exe = join(dir, p.name);
  await limit(() => run(cc, [opt, ...objects, "-o", exe, ...p.libs.map((l) => `-l${l}`)], COMPILE_TIMEOUT_MS));
  return exe;
}

/** Linked LLVM module of the clang -Oz front end (no LLVM passes), as text. */
async function linkedIr(p: RealProgram): Promise<string> {
  const dir = join(workDir, `${p.name}.ir`);
  await mkdir(dir, { recursive: true });
  const bitcode = await Promise.all(
    p.sources.map((src, i) =>
      limit(async () => {
        const bc = join(dir, `${i}.bc`);
        await run("clang", ["-Oz", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-w", ...cflags(p), "-c", src, "-o", bc], COMPILE_TIMEOUT_MS);
        return bc;
      }),
    ),
  );
  return (await limit(() => run(llvmLink, ["-S", ...bitcode], COMPILE_TIMEOUT_MS))).stdout;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "opm-real-corpus-"));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("real programs of the benchmark corpus", () => {
  it("lists at least three multi-file programs with their files, licence and an input", () => {
    expect(programs.length).toBeGreaterThanOrEqual(3);
    const names = programs.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    expect(programs.some((p) => p.libs.includes("m")), "at least one program links libm").toBe(true);
    for (const p of programs) {
      expect(p.dir.startsWith(REAL_PROGRAMS_DIR)).toBe(true);
      expect(p.sources.length, `${p.name}: several sources`).toBeGreaterThan(3);
      expect(p.sources[0]).toBe(join(p.dir, "driver.c"));
      for (const f of [...p.sources, ...p.includeDirs, ...p.args, p.expectedOutputPath]) {
        expect(existsSync(f), `${p.name}: missing ${f}`).toBe(true);
      }
      for (const f of ["LICENSE", "README.md"]) expect(existsSync(join(p.dir, f)), `${p.name}: missing ${f}`).toBe(true);
      expect(p.args.length).toBeGreaterThan(0);
      expect(statSync(p.args[0]!).size, `${p.name}: input file`).toBeGreaterThan(1000);
      expect(readFileSync(p.expectedOutputPath, "utf8").length).toBeGreaterThan(0);
    }
  });

  it.for(programs)("$name: compile_commands.json matches program.json", (p) => {
    const entries = JSON.parse(readFileSync(p.compileCommandsPath, "utf8")) as Array<{
      directory: string;
      file: string;
      arguments: string[];
      output: string;
    }>;
    const rel = (f: string): string => relative(p.dir, f);
    expect(entries.map((e) => e.file)).toEqual(p.sources.map(rel));
    for (const e of entries) {
      expect(e.directory).toBe(".");
      expect(e.arguments).toEqual([
        "cc",
        ...p.includeDirs.map((d) => `-I${rel(d)}`),
        ...p.defines.map((d) => `-D${d}`),
        "-c",
        e.file,
        "-o",
        e.output,
      ]);
    }
    expect(new Set(entries.map((e) => e.output)).size).toBe(entries.length);
  });

  it.concurrent.for(programs)(
    "$name prints its expected output built with clang -O0 and gcc -Os; linked IR size reported",
    { timeout: 120_000 },
    async (p, { expect }) => {
      const expected = await readFile(p.expectedOutputPath, "utf8");
      const builds = [
        ["clang", "-O0"],
        ["gcc", "-Os"],
      ].map(async ([cc, opt]) => {
        const exe = await build(p, cc!, opt!);
        // The scratch folder as working directory: output must not depend on where the
        // program or its input lives.
        const { stdout } = await limit(() => run(exe, p.args, RUN_TIMEOUT_MS, workDir));
        return { label: `${cc} ${opt}`, stdout };
      });
      const ir = linkedIr(p);
      for (const { label, stdout } of await Promise.all(builds)) {
        expect(stdout, `${p.name} built with ${label}`).toBe(expected);
      }
      const module = readLlvmIr(await ir);
      const instructions = countInstructions(module);
      console.log(
        `real-corpus: ${p.name} ${p.version}: ${p.sources.length} sources, linked IR (clang -Oz front end) ` +
          `${instructions} instructions in ${module.functions.length} functions`,
      );
      // "Larger real programs": far beyond the single-file kernels (a few hundred to a few
      // thousand instructions each), yet small enough for a search to evaluate.
      expect(instructions).toBeGreaterThan(10_000);
      expect(instructions).toBeLessThan(250_000);
    },
  );
});
