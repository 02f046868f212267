import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runVerifier } from "../verifier/verify-transform.js";
import type { Verdict, VerifyRequest } from "../verifier/verdict.js";
import { CLANG_IR_FLAGS } from "./compile-c-to-ir.js";
import { withDependentLibraries } from "./dependent-libraries.js";
import { LlvmToolchain } from "./llvm-toolchain.js";
import { verifyLlvm } from "./verify-llvm.js";

const dir = mkdtempSync(join(tmpdir(), "opm-verify-llvm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verify = (request: Omit<VerifyRequest, "compiler">): Promise<Verdict> => runVerifier({ compiler: "llvm", ...request }, verifyLlvm);
const layers = (v: Verdict): string => v.layers.map((l) => `${l.name}:${l.ok ? "ok" : l.decided === false ? "undecided" : "REJECT"} ${l.evidence}`).join("\n") + (v.reason ?? "");

/** C → IR with the problem's exact flags. */
function irOf(name: string, source: string): { path: string; ir: string } {
  const path = join(dir, `${name}.c`);
  writeFileSync(path, source);
  execFileSync("clang", [...CLANG_IR_FLAGS, `${name}.c`, "-o", `${name}.ll`], { cwd: dir });
  return { path, ir: readFileSync(join(dir, `${name}.ll`), "utf8") };
}

function opt(ir: string, passes: string): string {
  return execFileSync("opt", [`-passes=${passes}`, "-S", "-", "-o", "-"], { input: ir, encoding: "utf8", maxBuffer: 1 << 28 });
}

/** pow and sqrt of values the compiler cannot know (argc), so the program needs libm. */
const LIBM_PROGRAM = `#include <math.h>
#include <stdio.h>
int main(int argc, char **argv) {
  (void)argv;
  double x = argc + 1.5;
  printf("%.6f %.6f\\n", pow(x, 2.5), sqrt(x * 3.0));
  return 0;
}
`;

describe("verifyLlvm: libraries", () => {
  const { path, ir } = irOf("libm", LIBM_PROGRAM);
  const withM = withDependentLibraries(ir, ["m"]);

  it("links BEFORE's !llvm.dependent-libraries into every build, so a program calling libm is decided", async () => {
    const v = await verify({ before: { text: withM }, after: { text: opt(withM, "default<O2>") }, source: path });
    expect(v.ok, layers(v)).toBe(true);
    const semantics = v.layers.find((l) => l.name === "semantics")!;
    expect(semantics.evidence).toMatch(/agrees with the reference.*UBSan build of the source clean.*clang -O0 -lm/);
  });

  it("is undecided without the libraries (the reference does not link), and request.libraries supplies them", async () => {
    const without = await verify({ before: { text: ir }, after: { text: opt(ir, "default<O2>") } });
    expect(without).toMatchObject({ ok: false, decided: false });
    expect(without.layers.find((l) => l.name === "semantics")!.evidence).toMatch(/reference \(BEFORE\) does not build.*undefined reference to `pow'/s);
    const given = await verify({ before: { text: ir }, after: { text: opt(ir, "default<O2>") }, libraries: ["m"] });
    expect(given.ok, layers(given)).toBe(true);
  });

  it("refuses a library name that is not one (undecided: bad input)", async () => {
    const v = await verify({ before: { text: ir }, after: { text: ir }, libraries: [":/tmp/x.so"] });
    expect(v).toMatchObject({ ok: false, decided: false });
    expect(v.reason).toMatch(/not a library name/);
  });
});

/** Reads argv[1] and prints a checksum of it. */
const FILE_PROGRAM = `#include <stdio.h>
int main(int argc, char **argv) {
  if (argc < 2) return 3;
  FILE *in = fopen(argv[1], "rb"); if (!in) return 4;
  unsigned sum = 0; int c;
  while ((c = fgetc(in)) != EOF) sum = sum * 31u + (unsigned)c;
  fclose(in);
  printf("%u\\n", sum);
  return 0;
}
`;

describe("verifyLlvm: what is kept per BEFORE in request.cache", () => {
  it("keeps one entry per BEFORE, reuses it, and re-runs the reference when an input file's contents change", async () => {
    const { ir } = irOf("files", FILE_PROGRAM);
    const input = join(dir, "input.txt");
    writeFileSync(input, "first contents");
    const cache = new Map<string, unknown>();
    const o2 = opt(ir, "default<O2>");
    const first = await verify({ before: { text: ir }, after: { text: o2 }, inputs: [input], cache });
    expect(first.ok, layers(first)).toBe(true);
    expect([...cache.keys()].map((k) => k.split("\0").slice(0, 2).join(" "))).toEqual(["llvm before"]);
    const again = await verify({ before: { text: ir }, after: { text: opt(ir, "default<Oz>") }, inputs: [input], cache });
    expect(again.ok, layers(again)).toBe(true);
    expect(cache.size).toBe(1);
    // Same path, new contents: a cached reference keyed by the path alone would now
    // disagree with the (correct) transformed program.
    writeFileSync(input, "second, different contents");
    const changed = await verify({ before: { text: ir }, after: { text: o2 }, inputs: [input], cache });
    expect(changed.ok, layers(changed)).toBe(true);
    // A wrong transform is still caught with everything cached.
    const wrong = ir.replace(/mul i32 (%\d+), 31/, "mul i32 $1, 37");
    expect(wrong).not.toBe(ir);
    const bad = await verify({ before: { text: ir }, after: { text: wrong }, inputs: [input], cache });
    expect(bad.rejectedBy, layers(bad)).toBe("semantics");
  });

  it("a bad BEFORE stays bad input when cached", async () => {
    const cache = new Map<string, unknown>();
    for (let i = 0; i < 2; i++) {
      const v = await verify({ before: { text: "garbage" }, after: { text: "garbage" }, cache });
      expect(v.reason).toMatch(/field `before`: not valid LLVM IR/);
    }
  });
});

describe("verifyLlvm after LlvmToolchain.evaluate in the same process", () => {
  it("does not run opt's verifier or llc again on the bytes evaluate checked, and still catches a false claim", async () => {
    const { ir } = irOf("memo", LIBM_PROGRAM.replace("3.0", "5.0"));
    const input = { format: "llvm-ir" as const, bytes: Buffer.from(withDependentLibraries(ir, ["m"])) };
    const llvm = new LlvmToolchain();
    const m = await llvm.evaluate(input, { steps: [{ pass: "default", value: "Oz" }] }, "text-size");
    expect(m.metrics["ir-instcount"]).toBeGreaterThan(0);
    // The adapter's path: the input carries no library list; the verifier reads it from the module.
    const job = await llvm.verifyEvaluation({ input, plan: { steps: [{ pass: "default", value: "Oz" }] }, objective: "text-size", measured: m }, new Map());
    expect(job.ok, layers(job)).toBe(true);
    expect(job.layers[2]!.evidence).toMatch(/agrees with the reference.*clang -O0 -lm/);
    const request = { before: { bytes: input.bytes }, after: { bytes: m.output }, objective: "text-size" as const, claimedOutputDigest: m.outputDigest };
    const honest = await verify({ ...request, claimedMetric: m.value });
    expect(honest.ok, layers(honest)).toBe(true);
    expect(honest.layers[0]!.evidence).toMatch(/run by this process on these bytes/);
    expect(honest.layers[3]!.evidence).toContain(`text-size ${m.value}`);
    const lie = await verify({ ...request, claimedMetric: m.value - 1 });
    expect(lie.rejectedBy).toBe("metric");
    expect(lie.layers[3]!.evidence).toContain(`claimed text-size ${m.value - 1} but the AFTER artifact measures ${m.value}`);
    // Other bytes (one more comment line) are checked by the tools themselves.
    const other = await verify({ before: { bytes: input.bytes }, after: { text: `; again\n${Buffer.from(m.output).toString("utf8")}` }, objective: "text-size", claimedMetric: m.value });
    expect(other.ok, layers(other)).toBe(true);
    expect(other.layers[0]!.evidence).not.toMatch(/run by this process/);
  });
});

describe("verifyLlvm: bitcode", () => {
  it("reads BEFORE and AFTER given as bitcode as the IR they encode (opm verify --before prog.bc)", async () => {
    const { ir } = irOf("bc-input", "#include <stdio.h>\nint main(int argc, char **argv) { (void)argv; printf(\"%d\\n\", argc * 7); return 0; }\n");
    const toBitcode = (text: string, name: string): string => {
      writeFileSync(join(dir, `${name}.ll`), text);
      execFileSync("llvm-as", [`${name}.ll`, "-o", `${name}.bc`], { cwd: dir });
      return join(dir, `${name}.bc`);
    };
    const v = await verify({ before: { path: toBitcode(ir, "bc-before") }, after: { path: toBitcode(opt(ir, "default<Oz>"), "bc-after") } });
    expect(v.ok, layers(v)).toBe(true);
    const broken = await verify({ before: { bytes: Buffer.from([0x42, 0x43, 0xc0, 0xde, 1, 2, 3]) }, after: { text: ir } });
    expect([broken.decided, broken.reason]).toEqual([false, expect.stringContaining("field `before`: not valid LLVM bitcode")]);
  });
});
