import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusPrograms } from "../bench/corpus/index.js";
import { percentChange, type OptimizeResult } from "../src/client/orchestrator/index.js";
import { COMMANDS } from "../src/cli/main.js";
import { loadIdentity } from "../src/kernel/pki/index.js";
import { compilerToProto } from "../src/kernel/plan/index.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
const execFileAsync = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm run build` first) with `args`; resolves with its exit code and output, whatever the code. */
async function opm(args: string[], timeout = 60_000): Promise<Ran> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [OPM, ...args], { timeout });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("opm, the built CLI", () => {
  beforeAll(() => {
    if (!existsSync(fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url)))) throw new Error("dist/ is missing: run `npm run build` first");
  });

  it("explains every command and subcommand with --help: exit 0, nothing on stdout, usage and a help text on stderr", async () => {
    const asks = COMMANDS.flatMap((c) => [
      { args: [c.name, "--help"], title: `opm ${c.name}`, usage: `usage: opm ${c.name}` },
      ...(c.subcommands ?? []).map((s) => ({ args: [c.name, s.name, "--help"], title: `opm ${c.name} ${s.name}`, usage: `usage: opm ${c.name} ${s.name}` })),
    ]);
    expect(asks.map((a) => a.title)).toEqual(expect.arrayContaining(["opm ledger propose", "opm ledger verify", "opm pki issue", "opm audit", "opm serve"]));
    const answers = await Promise.all(asks.map((a) => opm(a.args)));
    answers.forEach((r, i) => {
      const { title, usage } = asks[i]!;
      expect({ title, code: r.code, stdout: r.stdout }).toEqual({ title, code: 0, stdout: "" });
      expect(r.stderr.startsWith(`${title}: `), `${title}:\n${r.stderr}`).toBe(true);
      expect(r.stderr, title).toContain(`\n${usage}`);
      // A help text under the usage line: what it does, then its flags and arguments, indented.
      const help = r.stderr.slice(r.stderr.indexOf(usage)).split("\n\n").slice(1).join("\n\n");
      expect(help.split("\n").length, `${title} has no help text`).toBeGreaterThanOrEqual(3);
      expect(help, `${title} explains no flag`).toMatch(/^ {2}(?:--|[A-Z]|[a-z]+ )/m);
    });
    // The subcommands' own help, not the command's: `opm ledger approve --help` explains PROPOSAL_ID.
    expect(answers[asks.findIndex((a) => a.title === "opm ledger approve")]!.stderr).toContain("PROPOSAL_ID");
    // `opm help COMMAND SUB` is the same as `opm COMMAND SUB --help`; `opm --help` lists every command.
    expect(await opm(["help", "ledger", "propose"])).toEqual(await opm(["ledger", "propose", "--help"]));
    const all = await opm(["--help"]);
    expect(all.code).toBe(0);
    for (const c of COMMANDS) expect(all.stderr).toContain(`  ${c.name} `);
  }, 180_000);

  it("opm optimize --json names the metric and its unit, baseline → best in percent and as a ratio, and failures by reason", async () => {
    const file = corpusPrograms().find((p) => p.name === "crc32")!.path;
    const run = await opm(["optimize", file, "--compiler", "llvm", "--max-evals", "6", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as OptimizeResult & Record<string, unknown>;
    expect(r).toMatchObject({ compiler: "llvm", objective: "ir-instcount", unit: "IR instructions", baselinePlan: "default<Oz>", evaluations: 6, unreproduced: [] });
    expect(r).not.toHaveProperty("improvement");
    expect(r.best).toBeLessThanOrEqual(r.baseline);
    expect(r.change).toMatch(/^(?:[+-]\d+\.\d|0\.0)%$/);
    expect(r.change).toBe(percentChange(r.baseline, r.best));
    expect(r.sizeRatio).toBeCloseTo(r.baseline / r.best, 12);
    // Failures by reason: counts that add up, and the first message of each reason.
    expect(typeof r.failuresByReason).toBe("object");
    expect(Object.values(r.failuresByReason).reduce((a, b) => a + b, 0)).toBe(r.failedEvaluations);
    expect(Object.keys(r.firstFailureMessages).sort()).toEqual(Object.keys(r.failuresByReason).sort());
    // What reproduces it, and where the audit log has it.
    expect(r.reproduction).toContain(`'-passes=${r.pipeline}'`);
    expect(r.inputDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(r.bestJobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.bestSignalId).toMatch(/^[0-9a-f]{64}$/);
    // The same in words on stderr.
    expect(run.stderr).toContain(`ir-instcount (IR instructions): baseline ${r.baseline} (default<Oz>) → best ${r.best}, ${r.change} (${r.sizeRatio.toFixed(3)}×)`);
    expect(run.stderr).toContain(`reproduce: ${r.reproduction}`);
    expect(run.stderr).toMatch(/6 evaluations in [\d.]+ s, (?:none failed|\d+ failed:\n {2}\w+ × \d+)/);
  }, 60_000);

  it("a bad flag, a missing value or an unknown command is a clear error with exit 2", async () => {
    const file = corpusPrograms().find((p) => p.name === "crc32")!.path;
    const typo = await opm(["optimize", file, "--compiler", "llvm", "--max-evalz", "6"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("opm optimize: unknown flag --max-evalz (did you mean --max-evals?)\n(opm optimize --help lists its flags)\n");
    const json = await opm(["optimize", file, "--compiler", "llvm", "--max-evalz", "6", "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: "invalid_argument", message: "unknown flag --max-evalz (did you mean --max-evals?)" } });
    const missing = await opm(["optimize", file, "--compiler"]);
    expect([missing.code, missing.stderr.split("\n")[0]]).toEqual([2, "opm optimize: --compiler needs a value"]);
    const sub = await opm(["ledger", "frobnicate"]);
    expect([sub.code, sub.stderr.split("\n")[0]]).toEqual([2, 'opm ledger: unknown ledger subcommand "frobnicate"; usage:']);
    const command = await opm(["optimise", file]);
    expect([command.code, command.stderr]).toEqual([2, 'opm optimise: unknown command "optimise"; run `opm --help`\n']);
  }, 30_000);

  describe("against a registry", () => {
    let h: RegistryHarness;
    let registry: string[];
    beforeAll(async () => {
      h = await startHarness(testDatabases()[0]!);
      registry = ["--registry", h.node.address, "--identity", join(h.dataDir, "identities", "admin")];
    });
    afterAll(async () => {
      await h?.close();
    });

    it("opm admit --wait admits an adapter that registers meanwhile; opm audit --object shows that adapter's events", async () => {
      const issued = await opm(["pki", "issue", "--data-dir", h.dataDir, "--name", "llvm-late", "--json"]);
      expect(issued.code, issued.stderr).toBe(0);
      const adapter = loadIdentity(JSON.parse(issued.stdout).identity as string);

      const gone = await opm(["admit", "llvm-ghost", ...registry, "--wait", "1"]);
      expect([gone.code, gone.stderr]).toEqual([1, "opm admit: actor llvm-ghost is not registered (waited 1 s)\n"]);

      const admitting = opm(["admit", "llvm-late", ...registry, "--wait", "30", "--reason", "cli test", "--json"]);
      await sleep(1000);
      await h.client(adapter).registerAdapter({
        publicKey: adapter.keys.publicKeyRaw,
        capabilities: { compiler: compilerToProto("llvm"), compilerVersion: "14.0.6", targetTriple: "x86_64-pc-linux-gnu", objectives: ["ir-instcount"] },
        owner: "",
      });
      const admitted = await admitting;
      expect(admitted.code, admitted.stderr).toBe(0);
      expect(JSON.parse(admitted.stdout)).toMatchObject({ name: "llvm-late", status: "ACTOR_STATUS_ADMITTED" });

      const audit = await opm(["audit", ...registry, "--object", "llvm-late", "--json"]);
      const events = (JSON.parse(audit.stdout) as { events: Array<{ action: string; object: string; detail?: string }> }).events;
      expect(events.map((e) => e.action)).toEqual(["adapter.register", "adapter.admit"]);
      expect(events[1]).toMatchObject({ object: "llvm-late", detail: "cli test" });
      const text = await opm(["audit", ...registry, "--object", "llvm-late"]);
      expect(text.stderr).toMatch(/^#\d+ \S+ admin adapter\.admit llvm-late cli test$/m);
      expect((await opm(["audit", ...registry, "--object", "nothing-here"])).stderr).toBe("no matching events\n");
    }, 60_000);
  });
});
