import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isOpmError } from "../../kernel/errors/index.js";
import { CLANG_IR_FLAGS } from "./compile-c-to-ir.js";
import { countInstructions } from "./inst-count-features.js";
import { readLlvmIr, stripComment } from "./read-llvm-ir.js";

const dir = mkdtempSync(join(tmpdir(), "opm-ll-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const testdata = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;

/** Instruction count by an independent route: INST_* records of the module's bitcode. */
function bcanalyzerInstructions(llFile: string): number {
  const bc = `${llFile}.bc`;
  execFileSync("llvm-as", [llFile, "-o", bc]);
  const stats = execFileSync("llvm-bcanalyzer", ["-stats", bc], { encoding: "utf8" });
  const fnBlock = stats.slice(stats.indexOf("(FUNCTION_BLOCK)"));
  const histogram = fnBlock.slice(0, fnBlock.indexOf("Block ID #", 10));
  let n = 0;
  for (const m of histogram.matchAll(/^\s+(\d+)\s+\d+.*\bINST_\w+\s*$/gm)) n += Number(m[1]);
  return n;
}

/** Blocks per defined function by LLVM itself (`print<func-properties>`). */
function llvmBlockCount(llFile: string): number {
  // The printer writes to stderr.
  const out = spawnSync("opt", ["-passes=print<func-properties>", "-disable-output", llFile], { encoding: "utf8" }).stderr;
  return [...out.matchAll(/BasicBlockCount: (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
}

describe("readLlvmIr on real clang/opt output", () => {
  const variants: Array<[string, string]> = [
    ["O0-style", ""],
    ["default<Oz>", "default<Oz>"],
    ["default<O3>", "default<O3>"],
    ["gvn-sink,simplifycfg,reg2mem", "gvn-sink,simplifycfg,reg2mem"],
  ];
  for (const program of ["loops.c", "switch.c"]) {
    const base = join(dir, `${program}.ll`);
    execFileSync("clang", [...CLANG_IR_FLAGS, testdata(program), "-o", base]);
    for (const [label, pipeline] of variants) {
      it(`${program} ${label}: instruction count = llvm-bcanalyzer, blocks = func-properties`, () => {
        const file = join(dir, `${program}.${label.replace(/\W/g, "_")}.ll`);
        execFileSync("opt", [`-passes=${pipeline}`, "-S", base, "-o", file]);
        const module = readLlvmIr(readFileSync(file, "utf8"));
        expect(countInstructions(module)).toBe(bcanalyzerInstructions(file));
        expect(module.functions.reduce((s, f) => s + f.blocks.length, 0)).toBe(llvmBlockCount(file));
      });
    }
  }

  it("joins switch cases and reads successors", () => {
    const module = readLlvmIr(readFileSync(testdata("features.ll"), "utf8"));
    expect(module.declarations).toBe(1);
    const f = module.functions[0]!;
    expect(f.name).toBe("f");
    expect(f.blocks.map((b) => b.label)).toEqual(["entry", "a", "m", "d", "e"]);
    expect(f.blocks.map((b) => b.successors)).toEqual([["a", "m"], ["m"], ["d", "d", "e"], [], []]);
  });
});

describe("readLlvmIr rejects", () => {
  it("an unknown opcode, naming the line", () => {
    try {
      readLlvmIr("define void @f() {\n  frobnicate i32 1\n  ret void\n}\n");
      throw new Error("no error");
    } catch (err) {
      expect(isOpmError(err, "invalid_argument")).toBe(true);
      expect((err as Error).message).toContain("line 2: unknown instruction `frobnicate`");
    }
  });
  it("an unclosed function", () => {
    expect(() => readLlvmIr("define void @g() {\n  ret void\n")).toThrow(/@g is not closed/);
  });
});

describe("stripComment", () => {
  it("keeps ; inside strings", () => {
    expect(stripComment('  call void asm "a; b", ""() ; trailing')).toBe('  call void asm "a; b", ""() ');
  });
});

