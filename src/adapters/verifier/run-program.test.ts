import { describe, expect, it } from "vitest";
import { compareRuns, runProgram, type ProgramRun } from "./run-program.js";

const run = (over: Partial<ProgramRun>): ProgramRun => ({ exitCode: 0, signal: null, stdout: Buffer.from("a\nb\n"), stderr: Buffer.alloc(0), files: new Map(), ...over });

describe("compareRuns", () => {
  it("agrees on equal runs, ignoring stderr", () => {
    expect(compareRuns(run({}), run({ stderr: Buffer.from("noise") }))).toBeUndefined();
  });
  it("names the first difference", () => {
    expect(compareRuns(run({}), run({ exitCode: 1 }))).toBe("exit status: reference exit 0, transformed exit 1");
    expect(compareRuns(run({}), run({ exitCode: null, signal: "SIGSEGV" }))).toMatch(/transformed signal SIGSEGV/);
    expect(compareRuns(run({}), run({ stdout: Buffer.from("a\nc\n") }))).toBe('stdout differs from byte 2 (line 2): reference "b", transformed "c"');
    expect(compareRuns(run({ files: new Map([["o", "1"]]) }), run({ files: new Map([["o", "2"]]) }))).toBe('output file "o": contents differ');
    expect(compareRuns(run({}), run({ limit: "wall", exitCode: null, signal: "SIGKILL" }))).toMatch(/wall-clock limit/);
  });
});

describe("runProgram", () => {
  it("runs without network and under a CPU limit", async () => {
    const sh = await runProgram("/bin/sh", undefined, { cpuSeconds: 1, wallMs: 20_000 }).catch(() => undefined);
    expect(sh?.exitCode).toBe(0); // /bin/sh with empty stdin exits 0
    const spin = await runProgram("/usr/bin/yes", undefined, { cpuSeconds: 1, outputBytes: 1024, wallMs: 20_000 });
    expect(spin.limit).toBeDefined();
  });
});
