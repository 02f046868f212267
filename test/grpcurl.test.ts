import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeIdentity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const run = promisify(execFile);
// scripts/setup.sh installs grpcurl with `go install` (Go module proxy) into ~/go/bin.
const GRPCURL = [join(homedir(), "go", "bin", "grpcurl"), "/usr/local/bin/grpcurl", "/usr/bin/grpcurl"].find(existsSync);

describe.skipIf(GRPCURL === undefined)("grpcurl against the registry (reflection, health, mTLS)", () => {
  let h: RegistryHarness;
  let flags: string[];

  beforeAll(async () => {
    h = await startHarness(testDatabases()[0]!);
    const dir = mkdtempSync(join(tmpdir(), "opm-grpcurl-"));
    writeIdentity(dir, h.admin);
    flags = ["-cacert", join(dir, "ca.pem"), "-cert", join(dir, "cert.pem"), "-key", join(dir, "key.pem"), "-max-time", "20"];
  });
  afterAll(async () => h?.close());

  const grpcurl = async (...args: string[]) => (await run(GRPCURL!, [...flags, ...args], { timeout: 30_000 })).stdout;

  it("lists every service through server reflection", async () => {
    const services = (await grpcurl(h.node.address, "list")).split("\n").filter(Boolean);
    expect(services).toEqual(expect.arrayContaining([
      "openpassmarket.v1.RegistryService", "openpassmarket.v1.JobService", "openpassmarket.v1.LedgerService",
      "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
    ]));
    const described = await grpcurl(h.node.address, "describe", "openpassmarket.v1.PerformanceSignal");
    expect(described).toContain("verdict");
  });

  it("calls health checking and a read RPC with JSON", async () => {
    expect(JSON.parse(await grpcurl("-d", '{"service":"openpassmarket.v1.RegistryService"}', h.node.address, "grpc.health.v1.Health/Check"))).toEqual({ status: "SERVING" });
    const events = JSON.parse(await grpcurl("-d", '{"limit":5}', h.node.address, "openpassmarket.v1.RegistryService/ListAuditEvents")) as { events: Array<{ action: string }> };
    expect(events.events[0]?.action).toBe("admin.register");
  });

  it("is refused without a client certificate", async () => {
    await expect(run(GRPCURL!, ["-cacert", flags[1]!, "-max-time", "10", h.node.address, "list"], { timeout: 30_000 })).rejects.toThrow();
  });
});
