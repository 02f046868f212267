import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyTransform } from "../src/adapters/framework/toolchains.js";
import { runTool } from "../src/adapters/framework/run-tool.js";
import { compileCToIr } from "../src/adapters/llvm/compile-c-to-ir.js";
import { findLlvmTools } from "../src/adapters/llvm/find-llvm-tools.js";
import { exclusionReason } from "../src/adapters/llvm/llvm-pass-exclusions.js";
import { isExported, readModuleInterface } from "../src/adapters/llvm/read-module-interface.js";
import type { Verdict } from "../src/adapters/verifier/index.js";

// The verifier judges programs by what they mean: the same constant written another way
// passes, a different constant or a pass that changes the output does not.

const tools = findLlvmTools();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "opm-verifier-meaning-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function irOf(name: string, source: string): Promise<{ path: string; ir: string }> {
  const path = join(dir, `${name}.c`);
  await writeFile(path, source);
  return { path, ir: await compileCToIr([path], { clang: tools.clang, llvmLink: tools["llvm-link"], workDir: dir, timeoutMs: 60_000 }) };
}

async function runPasses(ir: string, passes: string): Promise<string> {
  const r = await runTool(tools.opt, [`-passes=${passes}`, "-S", "-", "-o", "-"], { stdin: ir, timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return r.stdout.toString();
}

function layersOf(v: Verdict): string {
  return v.layers.map((l) => `${l.name}:${l.ok ? "ok" : l.decided === false ? "undecided" : "REJECT"} ${l.ok ? "" : l.evidence}`).join("\n");
}

/** Global initializers that clang 14 writes as GEP constant expressions into strings. */
const GLOBALS_PROGRAM = `#include <stdio.h>
const char *names[] = {"a", "bc"};
struct entry { const char *label; int n; };
static const char hello[] = "hello";
struct entry first = { hello + 1, 3 };
static const char msg[] = "world";
const char *tail = msg + 2;
int main(void) {
  for (int i = 0; i < 2; i++) printf("%s\\n", names[i]);
  printf("%s %d %s\\n", first.label, first.n, tail);
  return 0;
}
`;

/** Every GEP constant expression into an array (`getelementptr inbounds ([N x T], …, i64 0, i64 2)`) with `width`-bit indices. */
function withGepIndexWidth(ir: string, width: 32 | 64): string {
  return ir.replace(/(getelementptr inbounds \(\[[^\]]+\], \[[^\]]+\]\* @[\w.]+)((?:, i(?:32|64) -?\d+)+)\)/g, (_m, head: string, indices: string) =>
    `${head}${indices.replace(/i(?:32|64) /g, `i${width} `)})`);
}

describe("interface by meaning: GEP constant expressions in global initializers", () => {
  let source: string;
  let before: string;
  let after: string;

  beforeAll(async () => {
    const compiled = await irOf("globals", GLOBALS_PROGRAM);
    source = compiled.path;
    before = withGepIndexWidth(compiled.ir, 32);
    after = await runPasses(before, "default<Oz>");
  });

  it("passes default<Oz>, which rewrites i32 GEP indices as i64", async () => {
    // The case that was refused: the same address written with other index types.
    const b = readModuleInterface(before);
    const a = readModuleInterface(after);
    const rewritten = [...b.symbols.values()].filter((s) => isExported(s) && s.kind === "global" && a.symbols.get(s.name)?.initializer !== s.initializer);
    expect(rewritten.map((s) => s.name)).toContain("tail");
    for (const s of rewritten) expect(a.symbols.get(s.name)!.initializer!.replace(/i64 /g, "i32 ")).toBe(s.initializer);

    const v = await verifyTransform({ compiler: "llvm", before: { text: before }, after: { text: after }, source });
    expect(v.ok, layersOf(v)).toBe(true);
    expect(v.layers.find((l) => l.name === "interface")?.ok).toBe(true);
  });

  it("passes when BEFORE writes every index as i64 and AFTER as clang did", async () => {
    const clangWrote = (await irOf("globals-again", GLOBALS_PROGRAM)).ir;
    const wide = withGepIndexWidth(clangWrote, 64);
    expect(wide).not.toBe(clangWrote);
    const v = await verifyTransform({ compiler: "llvm", before: { text: wide }, after: { text: await runPasses(clangWrote, "default<Oz>") }, source });
    expect(v.ok, layersOf(v)).toBe(true);
  });

  it("refuses an AFTER whose initializer points to another element", async () => {
    const moved = after.replace(/^(@names = .*\[3 x i8\]\* @\.str\.1, i(?:32|64) 0, i(?:32|64)) 0\)/m, "$1 1)");
    expect(moved).not.toBe(after);
    const v = await verifyTransform({ compiler: "llvm", before: { text: before }, after: { text: moved }, source });
    expect(v.rejectedBy, layersOf(v)).toBe("interface");
    expect(v.layers.find((l) => l.name === "interface")?.evidence).toMatch(/@names: initial value `.*` became `.*` — at \[1\]: .*address @\.str\.1 \+ 0 became @\.str\.1 \+ 1/);
  });
});

/** `classify` runs a switch in a loop: what structurizecfg, run without lowerswitch, gets wrong. */
const SWITCH_PROGRAM = `#include <stdio.h>
int classify(const char *s) {
  int score = 0;
  for (; *s; s++) {
    switch (*s) {
      case 'a': score += 1; break;
      case 'b': score += 10; break;
      case 'c': score *= 2; break;
      default: score -= 1; break;
    }
  }
  return score;
}
int main(void) {
  const char *words[] = {"abc", "cab", "bbbz", "zz", ""};
  for (int i = 0; i < 5; i++) printf("classify(%s)=%d\\n", words[i], classify(words[i]));
  return 0;
}
`;

describe("a pass with no meaning for the target, run anyway", () => {
  it("structurizecfg is out of the search with its reason, and the verifier rejects its wrong output", async () => {
    expect(exclusionReason("structurizecfg")).toMatch(/^no meaning for the target \(x86-64 CPU code\)/);
    const { ir, path } = await irOf("switch", SWITCH_PROGRAM);
    const wrong = await runPasses(ir, "default<Oz>,function(structurizecfg)");
    const v = await verifyTransform({ compiler: "llvm", before: { text: ir }, after: { text: wrong }, source: path });
    expect(v.rejectedBy, layersOf(v)).toBe("semantics");
    expect(v.layers.find((l) => l.name === "interface")?.ok).toBe(true);
    expect(v.layers.find((l) => l.name === "semantics")?.evidence).toMatch(/stdout differs.*classify\(abc\)=22/s);

    // With the lowerswitch the legacy pass manager runs before it, the same pass is correct here.
    const lowered = await runPasses(ir, "default<Oz>,function(lowerswitch,structurizecfg)");
    const ok = await verifyTransform({ compiler: "llvm", before: { text: ir }, after: { text: lowered }, source: path });
    expect(ok.ok, layersOf(ok)).toBe(true);
  });
});
