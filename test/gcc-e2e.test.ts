import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textBytes } from "../src/adapters/framework/elf.js";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { compilerToProto, objectiveToProto } from "../src/kernel/plan/proto-mapping.js";
import { GccToolchain } from "../src/adapters/gcc/index.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import type { PassSpec } from "../src/gen/openpassmarket/v1/contracts_pb.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { optimize } from "../src/client/orchestrator/index.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { spawnAdapter, type AdapterChild } from "./support/adapter-process.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
const run = promisify(execFile);
const corpus = (name: string) => corpusPrograms().find((p) => p.name === name)!;

describe("GCC end to end: registry, real adapter processes, real gcc", () => {
  let h: RegistryHarness;
  let alice: Identity;
  let work: string;
  let store: IrStore;
  const children: AdapterChild[] = [];
  const gcc = new GccToolchain();

  beforeAll(async () => {
    h = await startHarness(testDatabases()[0]!);
    work = mkdtempSync(join(tmpdir(), "opm-gcc-e2e-"));
    store = new IrStore(join(work, "ir"));
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    for (const name of ["gcc-a", "gcc-b"]) {
      const identity = await h.identity(name);
      children.push(spawnAdapter("gcc", h.node.address, identity, join(work, name), ["--owner", "alice", "--ir-store", store.dir]));
      const admin = h.client(h.admin);
      for (let i = 0; !(await admin.getActor({ name }).catch(() => undefined))?.actor; i++) {
        if (i > 1200) throw new Error(`adapter ${name} never registered:\n${children.at(-1)!.stderr()}`);
        await sleep(50);
      }
      await admin.admitAdapter({ adapter: name, keyId: identity.keys.keyId });
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await h?.close();
  });

  /** gcc by hand, outside OpenPassMarket: `.text` bytes of the object and what the linked program prints. */
  function byHand(source: string, flags: string[], tag: string): { text: number; stdout: string } {
    const object = join(work, `${tag}.o`);
    const program = join(work, tag);
    execFileSync("gcc", [...flags, "-c", source, "-o", object]);
    execFileSync("gcc", [...flags, object, "-o", program]);
    return { text: textBytes(readFileSync(object)), stdout: execFileSync(program, { encoding: "utf8" }) };
  }

  it("publishes the installed gcc's catalog: flags on/off, params with ranges, -O levels, the version in every spec", async () => {
    const info = await gcc.info();
    const expected = (await gcc.catalog()).length;
    let gccSpecs: PassSpec[] = [];
    // The adapters publish their catalog once admitted, a moment after beforeAll returns.
    for (let attempt = 0; gccSpecs.length < expected && attempt < 600; attempt++) {
      if (attempt > 0) await sleep(100);
      gccSpecs = [];
      for (let pageToken = ""; ;) {
        const page = await h.client(alice).discoverPasses({ compiler: compilerToProto("gcc"), compilerVersion: info.version, pageSize: 1000, pageToken });
        gccSpecs.push(...page.nodes.flatMap((n) => (n.body.case === "passSpec" ? [n.body.value] : [])));
        if ((pageToken = page.nextPageToken) === "") break;
      }
    }
    expect(gccSpecs.length).toBe(expected);
    const major = info.version.split(".")[0];
    expect(gccSpecs.every((s) => s.version === `${major}.0.0` && s.compilerVersions?.min === `${major}.0.0`)).toBe(true);
    expect(gccSpecs.find((s) => s.name === "-Os")).toBeDefined();
    expect(gccSpecs.find((s) => s.name === "-finline-functions")?.parameters[0]?.name).toBe("enabled");
    const threshold = gccSpecs.find((s) => s.name === "align-threshold")?.parameters[0];
    expect([threshold?.min, threshold?.max]).toEqual([1n, 65536n]);
  });

  for (const name of ["crc32", "sha256"]) {
    it(`${name}: best ≤ -Os, the printed flags reproduce it by hand, and the program prints the -O0 checksum`, async () => {
      const program = corpus(name);
      const result = await optimize({
        file: program.path, compiler: "gcc", objective: "text-size", maxEvaluations: 16, strategy: "screen", seed: 1, maxSteps: 16,
        market: { address: h.node.address, identity: alice, irStore: store, parallelism: 4 }, visibility: "private",
      });
      expect(result.baseline).toBe(byHand(program.path, ["-Os"], `${name}-os`).text);
      expect(result.best).toBeLessThanOrEqual(result.baseline);
      expect(result.failedEvaluations).toBeLessThan(result.evaluations); // the verifier may reject a plan or two
      expect(result.flags![0]).toMatch(/^-O/);
      const best = byHand(program.path, result.flags!, `${name}-best`);
      expect(best.text).toBe(result.best);
      const expected = readFileSync(program.expectedOutputPath, "utf8");
      expect(best.stdout).toBe(expected);
      expect(byHand(program.path, ["-O0"], `${name}-o0`).stdout).toBe(expected);
      // Every evaluation was a signed signal from one of the two adapter processes.
      const signals = (await h.client(alice).listSignals({ problemId: result.problemId, pageSize: 1000 })).signals;
      expect(signals).toHaveLength(result.evaluations - result.failedEvaluations);
      expect(signals.every((s) => ["gcc-a", "gcc-b"].includes(s.adapter))).toBe(true);
      expect(signals.every((s) => s.verdict?.ok && s.compilerVersion === result.compilerVersion)).toBe(true);
    }, 240_000);
  }

  it("dead-letters a plan with an unknown flag or a param out of range at once, naming it", async () => {
    const prepared = await gcc.prepare(corpus("crc32").path, "text-size");
    store.put(prepared.input.bytes);
    const info = await gcc.info();
    const { problemId } = await h.client(alice).submitProblem({
      problem: {
        participant: "alice", compiler: compilerToProto("gcc"), compilerVersion: info.version, objective: objectiveToProto("text-size"),
        irDigest: prepared.digest, irFormat: prepared.input.format, visibility: Visibility.PRIVATE, baseline: prepared.baseline.value, label: "bad plans",
      },
    });
    const jobs = h.jobs(alice);
    const { jobIds } = await jobs.enqueueJobs({
      problemId,
      plans: [
        { steps: [{ pass: "-Os", value: "" }, { pass: "-ffrobnicate-loops", value: "" }] },
        { steps: [{ pass: "-Os", value: "" }, { pass: "align-threshold", value: "0" }] },
      ],
    });
    let settled = (await jobs.getJobs({ jobIds })).jobs;
    for (let i = 0; i < 600 && !settled.every((j) => j.state === JobState.DEAD || j.state === JobState.SUCCEEDED); i++) {
      await sleep(100);
      settled = (await jobs.getJobs({ jobIds })).jobs;
    }
    const [flag, param] = jobIds.map((id) => settled.find((j) => j.id === id)!);
    for (const job of [flag!, param!]) {
      expect(job.state).toBe(JobState.DEAD);
      expect(job.attempts).toBe(1); // not retried: no retry can fix a bad plan
      expect(job.errors.map((e) => e.code)).toEqual(["invalid_argument"]);
    }
    expect(flag!.errors[0]!.message).toMatch(/plan\.steps\[1\].*unknown gcc flag `-ffrobnicate-loops`/);
    expect(param!.errors[0]!.message).toMatch(/plan\.steps\[1\].*`align-threshold` = 0 is out of range \[1, 65536\]/);
  }, 120_000);

  it("opm optimize on a file that does not compile fails with gcc's diagnostics naming the file", async () => {
    const broken = join(work, "broken.c");
    writeFileSync(broken, "int main(void) { return undeclared_thing; }\n");
    const failed = await run(process.execPath, [OPM, "optimize", broken, "--compiler", "gcc", "--max-evals", "4", "--json"]).then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(failed?.code).toBe(1);
    const { error } = JSON.parse(failed!.stdout) as { error: { code: string; message: string; detail: string } };
    expect(error.code).toBe("compiler_failed");
    expect(error.message).toContain(`gcc could not compile \`${broken}\``);
    expect(error.detail).toMatch(/broken\.c:1:\d+: error: .undeclared_thing. undeclared/);
    expect(failed!.stderr).toContain("undeclared_thing");
  }, 60_000);

  it("opm optimize --compiler gcc --json prints baseline, best ≤ baseline, flags, evaluations, seconds", async () => {
    const { stdout } = await run(process.execPath, [OPM, "optimize", corpus("bitcount").path, "--compiler", "gcc", "--max-evals", "12", "--json"], { timeout: 240_000 });
    const result = JSON.parse(stdout) as { baseline: number; best: number; flags: string[]; evaluations: number; seconds: number; unreproduced: unknown[] };
    expect(result.best).toBeLessThanOrEqual(result.baseline);
    expect(Array.isArray(result.flags) && result.flags[0]).toMatch(/^-O/);
    expect(result.evaluations).toBe(12);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.unreproduced).toEqual([]);
    expect(byHand(corpus("bitcount").path, result.flags, "bitcount-cli").text).toBe(result.best);
  }, 240_000);
});
