/**
 * The participant's runs through the real CLI (`opm optimize`, embedded registry, local
 * LLVM adapters): a program that reads the file named by its argument and does its work
 * only then, in a function that takes a struct by value (which direct tests of functions
 * cannot call). Run without arguments it prints its usage and exits, so no evaluation can
 * earn the semantics layer — each is undecided, none is a result, and the error says how
 * to give runs. With `--run 'data.txt' --input data.txt` the runs reach the work and the
 * search reports a verified best.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "opm-runs-"));
  // `analyse` takes and returns structs by value, which direct tests of functions cannot
  // call: only a run that reaches it can exercise it.
  writeFileSync(join(root, "count.c"), [
    "#include <stdio.h>",
    "struct text { const unsigned char *p; unsigned n; unsigned pad[6]; };",
    "struct stats { unsigned h, top, counts[4]; };",
    "struct stats analyse(struct text t) {",
    "  static unsigned histogram[256];",
    "  struct stats s = { 2166136261u, 0, { 0 } };",
    "  for (unsigned i = 0; i < t.n; i++) { s.h ^= t.p[i]; s.h *= 16777619u; histogram[t.p[i]]++; s.counts[t.p[i] & 3]++; }",
    "  for (int c = 1; c < 256; c++) if (histogram[c] > histogram[s.top]) s.top = (unsigned)c;",
    "  return s;",
    "}",
    "int main(int argc, char **argv) {",
    '  if (argc != 2) { fprintf(stderr, "usage: count FILE\\n"); return 2; }',
    '  FILE *f = fopen(argv[1], "rb");',
    "  if (!f) return 1;",
    "  static unsigned char buf[4096];",
    "  struct text t = { buf, 0, { 0 } };",
    "  t.n = (unsigned)fread(buf, 1, sizeof buf, f);",
    "  fclose(f);",
    "  struct stats s = analyse(t);",
    '  printf("%u bytes, fnv %08x, most common %u, %u %u %u %u\\n", t.n, s.h, s.top, s.counts[0], s.counts[1], s.counts[2], s.counts[3]);',
    "  return 0;",
    "}",
    "",
  ].join("\n"));
  writeFileSync(join(root, "data.txt"), "the quick brown fox jumps over the lazy dog\n".repeat(20));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function optimize(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [OPM, "optimize", join(root, "count.c"), "--compiler", "llvm", ...args, "--json", "--max-evals", "4", "--adapters", "1"], {
    encoding: "utf8", timeout: 240_000, cwd: root,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("opm optimize with the participant's runs", () => {
  it("reports no result when no run reaches the changed code, naming the functions and how to add runs", { timeout: 300_000 }, () => {
    const r = optimize([]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/verification_undecided/);
    expect(r.stdout + r.stderr).toMatch(/analyse/);
  });

  it("verifies and reports a best plan once a run reaches it", { timeout: 300_000 }, () => {
    const r = optimize(["--run", "data.txt", "--input", "data.txt"]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { best: number; baseline: number; failuresByReason: Record<string, number>; bestJobId: string };
    expect(result.failuresByReason["verification_undecided"]).toBeUndefined();
    expect(result.best).toBeLessThanOrEqual(result.baseline);
    expect(result.bestJobId).not.toBe("");
  });

  it("refuses a run file that names a missing input, before posing anything", () => {
    const r = optimize(["--run", "data.txt", "--input", "missing.txt"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--input: .*missing\.txt does not exist/);
  });
});
