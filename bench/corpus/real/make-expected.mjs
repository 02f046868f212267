#!/usr/bin/env node
// make-expected.mjs [--check] [NAME...] - for each real program (default: every folder
// of bench/corpus/real/ holding a program.json):
//
//   1. writes compile_commands.json from program.json (--check: fails if it differs);
//   2. builds the program with clang -O0 (one object per source, then a link with the
//      manifest's libraries), runs it on its arguments and writes expected.out
//      (--check: fails if the output differs from expected.out);
//   3. builds it with clang -O2/-Oz and gcc -O0/-O2/-Os and fails unless each prints
//      exactly expected.out;
//   4. reports the lines of C (.c and .h files, upstream and driver) and the instruction
//      count of the linked LLVM module (clang -Oz -Xclang -disable-llvm-passes per file,
//      llvm-link), as listed in bench/corpus/README.md.
//
// Programs run with a scratch folder as working directory and absolute paths as
// arguments, so their output cannot depend on where the repository is. Needs node >= 20,
// clang, gcc and llvm-link (Debian 12: clang-14, gcc-12, llvm-14).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const CLANG = process.env.CC_CLANG ?? "clang";
const GCC = process.env.CC_GCC ?? "gcc";
const LLVM_LINK = process.env.LLVM_LINK ?? "llvm-link";
const CHECK_BUILDS = [
  [CLANG, "-O2"],
  [CLANG, "-Oz"],
  [GCC, "-O0"],
  [GCC, "-O2"],
  [GCC, "-Os"],
];

/** Runs `fn` over `items` with at most `max` calls in flight; results in input order. */
async function pool(items, max, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(max, items.length) }, worker));
  return out;
}

/** The `-I`/`-D` flags of a manifest, with include folders relative to `base`. */
export function manifestFlags(m, base = ".") {
  return [
    ...m.includeDirs.map((d) => `-I${base === "." ? d : join(base, d)}`),
    ...m.defines.map((d) => `-D${d}`),
  ];
}

/** compile_commands.json entries: directory "." means the folder of the json file. */
export function compileCommands(m) {
  return m.sources.map((file) => {
    const output = join("build", file.replace(/\.c$/, ".o"));
    return { directory: ".", file, arguments: ["cc", ...manifestFlags(m), "-c", file, "-o", output], output };
  });
}

async function build(dir, m, cc, opt, work) {
  const objDir = join(work, `${cc}${opt}`);
  await mkdir(objDir, { recursive: true });
  const objects = await pool(m.sources, 2, async (src, i) => {
    const obj = join(objDir, `${i}.o`);
    await run(cc, [opt, "-w", ...manifestFlags(m, dir), "-c", join(dir, src), "-o", obj], { maxBuffer: 1 << 24 });
    return obj;
  });
  const exe = join(objDir, "prog");
  await run(cc, [opt, ...objects, "-o", exe, ...m.libs.map((l) => `-l${l}`)]);
  return exe;
}

async function runProgram(exe, dir, m, work) {
  const { stdout } = await run(exe, m.args.map((a) => join(dir, a)), { cwd: work, maxBuffer: 1 << 24, timeout: 20_000 });
  return stdout;
}

/** Instruction count of the linked, unoptimized (-Oz front end) LLVM module. */
async function irInstructionCount(dir, m, work) {
  const irDir = join(work, "ir");
  await mkdir(irDir, { recursive: true });
  const bcs = await pool(m.sources, 2, async (src, i) => {
    const bc = join(irDir, `${i}.bc`);
    await run(CLANG, ["-Oz", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-w", ...manifestFlags(m, dir), "-c", join(dir, src), "-o", bc]);
    return bc;
  });
  const { stdout } = await run(LLVM_LINK, ["-S", ...bcs], { maxBuffer: 1 << 28 });
  return countIrInstructions(stdout);
}

/** Every LLVM 14 instruction opcode as spelled in `.ll` files. */
const OPCODES = new Set(
  ("ret br switch indirectbr invoke resume unreachable cleanupret catchret catchswitch callbr fneg add fadd " +
    "sub fsub mul fmul udiv sdiv fdiv urem srem frem shl lshr ashr and or xor alloca load store getelementptr " +
    "fence cmpxchg atomicrmw trunc zext sext fptoui fptosi uitofp sitofp fptrunc fpext ptrtoint inttoptr " +
    "bitcast addrspacecast cleanuppad catchpad icmp fcmp phi call select va_arg extractelement insertelement " +
    "shufflevector extractvalue insertvalue landingpad freeze").split(" "),
);

/**
 * Counts the instructions in the function bodies of textual LLVM IR: indented lines whose
 * first word (after an optional `%name =` and `tail`/`musttail`/`notail`) is an opcode, so
 * `switch` case lines and `landingpad` clauses are not counted. Same figure as the
 * project's `countInstructions(readLlvmIr(text))`.
 */
export function countIrInstructions(text) {
  let inBody = false;
  let n = 0;
  for (const raw of text.split("\n")) {
    if (!inBody) {
      if (raw.startsWith("define ")) inBody = true;
      continue;
    }
    if (raw.startsWith("}")) {
      inBody = false;
      continue;
    }
    const m = /^\s+(?:%[-\w.$]+ = |%"[^"]*" = )?(?:(?:tail|musttail|notail) )?([a-z_]+)/.exec(raw);
    if (m && OPCODES.has(m[1])) n++;
  }
  return n;
}

async function countLines(dir) {
  let c = 0;
  let h = 0;
  async function walk(d) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.[ch]$/.test(e.name)) {
        const lines = (await readFile(p, "utf8")).split("\n").length - 1;
        if (e.name.endsWith(".c")) c += lines;
        else h += lines;
      }
    }
  }
  await walk(dir);
  return { c, h };
}

async function main() {
  const argv = process.argv.slice(2);
  const check = argv.includes("--check");
  let names = argv.filter((a) => a !== "--check");
  if (names.length === 0) {
    names = (await readdir(here, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && existsSync(join(here, e.name, "program.json")))
      .map((e) => e.name)
      .sort();
  }
  let failures = 0;
  for (const name of names) {
    const dir = join(here, name);
    const m = JSON.parse(await readFile(join(dir, "program.json"), "utf8"));
    const work = await mkdtemp(join(tmpdir(), `opm-real-${name}-`));
    try {
      const ccPath = join(dir, "compile_commands.json");
      const ccText = JSON.stringify(compileCommands(m), null, 2) + "\n";
      if (check) {
        if (!existsSync(ccPath) || (await readFile(ccPath, "utf8")) !== ccText) {
          console.error(`${name}: compile_commands.json is out of date`);
          failures++;
        }
      } else await writeFile(ccPath, ccText);

      const expectedPath = join(dir, m.expectedOutput);
      const reference = await runProgram(await build(dir, m, CLANG, "-O0", work), dir, m, work);
      if (check) {
        if (!existsSync(expectedPath) || (await readFile(expectedPath, "utf8")) !== reference) {
          console.error(`${name}: clang -O0 output differs from ${m.expectedOutput}`);
          failures++;
        }
      } else await writeFile(expectedPath, reference);

      for (const [cc, opt] of CHECK_BUILDS) {
        const out = await runProgram(await build(dir, m, cc, opt, work), dir, m, work);
        if (out !== reference) {
          console.error(`${name}: ${cc} ${opt} output differs from clang -O0`);
          failures++;
        }
      }
      const lines = await countLines(dir);
      const insts = await irInstructionCount(dir, m, work);
      console.log(
        `${name} ${m.version}: ${m.sources.length} sources, ${lines.c} lines of .c + ${lines.h} of .h, ` +
          `${insts} IR instructions (linked, clang -Oz front end), libs [${m.libs.join(",")}], ` +
          `expected ${reference.split("\n").length - 1} line(s)${check ? " (checked)" : " (written)"}`,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  if (failures > 0) {
    console.error(`${failures} failure(s)`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
