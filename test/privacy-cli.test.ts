import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeIdentity, type Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { privateProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
const run = promisify(execFile);

/** Runs the built CLI (`npm run build` first) as `dir`'s identity; the parsed --json document. */
async function opmJson(h: RegistryHarness, dir: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [OPM, ...args, "--registry", h.node.address, "--identity", dir, "--json"], { timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("opm member, budget and release", () => {
  let h: RegistryHarness;
  let work: string;
  const dir: Record<string, string> = {};
  const id: Record<string, Identity> = {};

  beforeAll(async () => {
    h = await startHarness(testDatabases()[0]!);
    work = mkdtempSync(join(tmpdir(), "opm-privacy-cli-"));
    for (const name of ["alice", "carol"]) {
      id[name] = await h.identity(name);
      dir[name] = join(work, name);
      writeIdentity(dir[name]!, id[name]!);
      await h.client(id[name]!).registerParticipant({ publicKey: id[name]!.keys.publicKeyRaw });
    }
  });
  afterAll(async () => {
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("adds, lists and removes members, shows budgets and lists releases", async () => {
    expect(await opmJson(h, dir.alice!, ["member", "add", "carol", "--role", "audit"])).toMatchObject({ created: true, membership: { participant: "alice", actor: "carol", role: "audit" } });
    expect(await opmJson(h, dir.alice!, ["member", "list"])).toMatchObject({ members: [{ actor: "carol", role: "audit" }] });
    const problem = privateProblem("alice");
    const { problemId } = await h.client(id.alice!).submitProblem({ problem });
    const adapter = await h.admittedAdapter("alice-a", "14.0.6", "alice");
    const { signalId } = await h.client(adapter.id).submitSignal({ signal: signedSignal(adapter.id, problem) });
    await h.client(id.alice!).releaseResult({ problemId, signalId });
    const budget = await opmJson(h, dir.carol!, ["budget", "show", "--participant", "alice"]);
    expect(budget).toMatchObject({ budgets: [{ participant: "alice", family: "llvm/ir-instcount", accountant: "pure-dp", totalNano: "1000000000", spentNano: "250000000", releases: 1 }] });
    expect(String(budget.policy)).toContain("built-in default");
    expect(await opmJson(h, dir.carol!, ["release", "list", "--problem", problemId])).toMatchObject({ releases: [{ subject: signalId, quantity: "improvement-bp", problemId }] });
    expect(await opmJson(h, dir.alice!, ["member", "remove", "carol", "--role", "audit"])).toMatchObject({ removed: true });
    await expect(opmJson(h, dir.carol!, ["budget", "show", "--participant", "alice"])).rejects.toMatchObject({ stdout: expect.stringContaining("permission_denied") });
  }, 120_000);
});
