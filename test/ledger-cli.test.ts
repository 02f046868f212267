import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { LedgerExportSchema } from "../src/gen/openpassmarket/v1/ledger_pb.js";
import { writeIdentity } from "../src/kernel/pki/index.js";
import { LLVM_CAPS } from "./support/fixtures.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

/** Runs `opm ARGV…` in-process; returns the exit code and what went to stdout and stderr. */
async function opm(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr, json: stdout.trim() === "" ? undefined : JSON.parse(stdout) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("opm ledger (CLI) export and offline verify", () => {
  let h: RegistryHarness;
  let dir: string;
  let exportFile: string;
  let firstExport: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness({ kind: "pglite", create: async () => undefined });
    dir = mkdtempSync(join(tmpdir(), "opm-ledger-cli-"));
    for (const name of ["gov1", "gov2", "gov3", "cli-adapter"]) {
      ids[name] = join(dir, name);
      writeIdentity(ids[name]!, await h.identity(name));
    }
    const reg = ["--registry", h.node.address];
    const init = await opm("ledger", "init", ...reg, "--identity", h.node.adminDir, "--threshold", "2",
      "--governor-identity", ids.gov1!, "--governor-identity", ids.gov2!, "--governor-identity", ids.gov3!, "--json");
    expect(init.code, init.stderr).toBe(0);
    for (const g of ["gov1", "gov3"]) expect((await opm("ledger", "approve", init.json.id, ...reg, "--identity", ids[g]!, "--json")).code).toBe(0);

    exportFile = join(dir, "ledger.opmlog");
    firstExport = join(dir, "ledger-1.opmlog");
    expect((await opm("ledger", "export", ...reg, "--identity", ids.gov1!, "--out", firstExport, "--json")).code).toBe(0);
    writeFileSync(join(dir, "checkpoint-1.txt"), (await opm("ledger", "checkpoint", ...reg, "--identity", ids.gov1!, "--json")).json.note);

    const adapter = await h.identity("cli-adapter");
    await h.client(adapter).registerAdapter({ publicKey: adapter.keys.publicKeyRaw, capabilities: LLVM_CAPS, owner: "" });
    for (const [i, target] of ["cli-x", "cli-y", "cli-adapter"].entries()) {
      const what = target === "cli-adapter" ? ["admit", target] : ["policy", "--policy-id", target, "--accountant", "pure", "--epsilon", "1.5"];
      const proposed = await opm("ledger", "propose", ...what, ...reg, "--identity", ids.gov2!, "--approve", "--json");
      expect(proposed.code, proposed.stderr).toBe(0);
      expect(proposed.json.state).toBe("PROPOSAL_STATE_PENDING");
      const approved = await opm("ledger", "approve", proposed.json.id, ...reg, "--identity", ids[i === 1 ? "gov3" : "gov1"]!, "--json");
      expect(approved.json.state).toBe("PROPOSAL_STATE_APPLIED");
    }
    const listed = await opm("ledger", "list", ...reg, "--identity", ids.gov1!, "--json");
    expect(listed.json.size).toBe("4");
    const proved = await opm("ledger", "prove", "2", ...reg, "--identity", ids.gov1!, "--json");
    expect(proved.json.verifiedAgainstCheckpoint).toBe(true);
    expect((await opm("ledger", "export", ...reg, "--identity", ids.gov1!, "--out", exportFile, "--json")).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = (file: string, ...extra: string[]) => opm("ledger", "verify", "--file", file, "--json", ...extra);
  const variant = (name: string, edit: (x: ReturnType<typeof fromBinary<typeof LedgerExportSchema>>) => void) => {
    const x = fromBinary(LedgerExportSchema, readFileSync(exportFile));
    edit(x);
    const file = join(dir, `${name}.opmlog`);
    writeFileSync(file, toBinary(LedgerExportSchema, x));
    return file;
  };

  it("exports in pages that concatenate to the same file, which verifies", async () => {
    const paged = join(dir, "paged.opmlog");
    const r = await opm("ledger", "export", "--registry", h.node.address, "--identity", ids.gov1!, "--out", paged, "--page-bytes", "200", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.pages).toBeGreaterThan(4);
    expect(existsSync(`${paged}.partial`)).toBe(false);
    expect(readFileSync(paged).equals(readFileSync(exportFile))).toBe(true);
    expect((await verify(paged)).code).toBe(0);
  });

  it("verifies an untouched export offline", async () => {
    const r = await verify(exportFile);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json).toMatchObject({ ok: true, size: "4", threshold: 2, admittedAdapters: ["cli-adapter"] });
  });

  it("detects a flipped byte anywhere in the file", async () => {
    const bytes = readFileSync(exportFile);
    for (let at = 0; at < bytes.length; at += Math.max(1, Math.floor(bytes.length / 150))) {
      const bad = Buffer.from(bytes);
      bad[at] = bad[at]! ^ 0x01;
      const file = join(dir, "flipped.opmlog");
      writeFileSync(file, bad);
      const r = await verify(file);
      expect(r.code, `byte ${at}: ${r.stdout}`).toBe(1);
      expect(r.json.ok).toBe(false);
    }
  });

  it("names the first bad entry when an entry is dropped or entries are reordered", async () => {
    const dropped = await verify(variant("dropped", (x) => x.entries.splice(2, 1)));
    expect([dropped.code, dropped.json.error.entryIndex]).toEqual([1, "2"]);
    expect(dropped.json.error.message).toMatch(/^entry 2:/);
    const swapped = await verify(variant("swapped", (x) => x.entries.splice(1, 2, x.entries[2]!, x.entries[1]!)));
    expect([swapped.code, swapped.json.error.entryIndex]).toEqual([1, "1"]);
  });

  it("detects a replayed old checkpoint and a rollback to an old export", async () => {
    const replayed = await verify(variant("replayed", (x) => x.checkpoints.push(x.checkpoints[0]!)));
    expect(replayed.code).toBe(1);
    expect(replayed.json.error.message).toMatch(/checkpoint/);
    const reusedOld = await verify(variant("old-last", (x) => x.checkpoints.splice(-1, 1)));
    expect(reusedOld.code).toBe(1);
    // An old export is fine on its own, but not once a newer checkpoint is trusted.
    expect((await verify(firstExport)).code).toBe(0);
    writeFileSync(join(dir, "latest.txt"), (await opm("ledger", "checkpoint", "--registry", h.node.address, "--identity", ids.gov1!, "--json")).json.note);
    const rollback = await verify(firstExport, "--trusted-checkpoint", join(dir, "latest.txt"));
    expect(rollback.code).toBe(1);
    expect((await verify(exportFile, "--trusted-checkpoint", join(dir, "checkpoint-1.txt"))).code).toBe(0);
  });

  it("exits 2 on bad input", async () => {
    expect((await verify(join(dir, "missing.opmlog"))).code).toBe(2);
    expect((await opm("ledger", "verify", "--json")).code).toBe(2);
  });
});
