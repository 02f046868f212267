import { describe, expect, it } from "vitest";
import { isOpmError } from "../../kernel/errors/index.js";
import { clipLog, DETERMINISTIC_ENV, findExecutable, runTool } from "./run-tool.js";

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isOpmError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected an OpmError");
}

describe("runTool", () => {
  it("collects stdout, stderr, exit code and feeds stdin", async () => {
    const r = await runTool("sh", ["-c", "cat; echo err >&2; exit 3"], { stdin: "hello", timeoutMs: 5000 });
    expect(r.stdout.toString()).toBe("hello");
    expect(r.stderr.toString()).toBe("err\n");
    expect(r.exitCode).toBe(3);
    expect(r.signal).toBeNull();
    expect(r.elapsedMs).toBeGreaterThan(0);
  });

  it("kills the whole process group on timeout and names the command", async () => {
    const started = Date.now();
    // The grandchild `sleep` must die too, or the pipes would stay open for 30 s.
    const e = await codeOf(runTool("sh", ["-c", "sleep 30 & sleep 30"], { timeoutMs: 300 }));
    expect(e.code).toBe("deadline_exceeded");
    expect(e.message).toContain("`sh`");
    expect(e.message).toContain("300 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("maps a missing command to tool_missing naming the package", async () => {
    const e = await codeOf(runTool("opm-no-such-tool", [], { timeoutMs: 1000, missingPackage: "opm-pkg" }));
    expect(e.code).toBe("tool_missing");
    expect(e.message).toContain("opm-no-such-tool");
    expect(e.message).toContain("opm-pkg");
    const d = await codeOf(runTool("opm-no-such-tool", [], { timeoutMs: 1000, deterministic: true, missingPackage: "p" }));
    expect(d.code).toBe("tool_missing");
  });

  it("kills a tool whose stdout passes maxOutputBytes", async () => {
    const e = await codeOf(runTool("yes", [], { timeoutMs: 10_000, maxOutputBytes: 100_000 }));
    expect(e.code).toBe("resource_exhausted");
    expect(e.message).toContain("100000");
  });

  it("cuts stderr at maxOutputBytes without failing", async () => {
    const r = await runTool("sh", ["-c", "head -c 50000 /dev/zero >&2"], { timeoutMs: 5000, maxOutputBytes: 1000 });
    expect(r.stderr.length).toBe(1000);
    expect(r.stderrTruncated).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it("turns address-space randomisation off with deterministic", async () => {
    const randomize = async (deterministic: boolean) =>
      (await runTool("cat", ["/proc/self/personality"], { timeoutMs: 5000, deterministic })).stdout.toString().trim();
    // ADDR_NO_RANDOMIZE = 0x0040000
    expect(parseInt(await randomize(true), 16) & 0x0040000).toBe(0x0040000);
    expect(parseInt(await randomize(false), 16) & 0x0040000).toBe(0);
  });

  it("gives a deterministic run the same environment whatever this process's is, so its stack starts at the same address", async () => {
    const envOf = async (extra: Record<string, string>) => {
      const saved = { ...process.env };
      Object.assign(process.env, extra);
      try {
        return (await runTool("env", [], { timeoutMs: 5000, deterministic: true, env: { OPM_PROBE: "1" } })).stdout.toString();
      } finally {
        for (const k of Object.keys(extra)) if (saved[k] === undefined) delete process.env[k];
      }
    };
    const quiet = await envOf({});
    expect(await envOf({ OPM_NOISE: "x".repeat(5000) })).toBe(quiet);
    expect(quiet.trim().split("\n").sort()).toEqual([...Object.entries(DETERMINISTIC_ENV).map(([k, v]) => `${k}=${v}`), "OPM_PROBE=1"].sort());
  });
});

describe("findExecutable", () => {
  it("finds sh on PATH and nothing on an empty path", () => {
    expect(findExecutable("sh")).toMatch(/\/sh$/);
    expect(findExecutable("sh", "")).toBeUndefined();
    expect(findExecutable("/bin/sh")).toBe("/bin/sh");
  });
});

describe("clipLog", () => {
  it("keeps head and tail and says how much was cut", () => {
    const text = `FIRST${"x".repeat(10_000)}LAST`;
    const clipped = clipLog(text, 400);
    expect(clipped.startsWith("FIRST")).toBe(true);
    expect(clipped.endsWith("LAST")).toBe(true);
    expect(clipped).toContain(`[${text.length - 400} characters cut]`);
  });
});
