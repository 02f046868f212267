/**
 * Semantics must be earned, on a real program: bzip2 (bench/corpus/real/bzip2) reads its
 * input from a file, so run without arguments it prints its usage and exits before any
 * of its code runs — as the AES program of the issue did. A transform that breaks a
 * function only the real run reaches must not be accepted without that run, and must be
 * rejected with it; a correct transform passes with the run, with the coverage evidence.
 */
import { describe, expect, it } from "vitest";
import { realPrograms, realProgramRun } from "../bench/corpus/index.js";
import { readProgramSource } from "../src/adapters/framework/program-source.js";
import { toolchainFor, verifyTransform } from "../src/adapters/framework/toolchains.js";

const bzip2 = realPrograms().find((p) => p.name === "bzip2")!;

describe("semantics earned on a real program (bzip2)", () => {
  it("does not accept a broken function no run reaches, rejects it once a run reaches it, and passes -Oz with the run", { timeout: 300_000 }, async () => {
    const llvm = await toolchainFor("llvm");
    try {
      const prepared = await llvm.prepare(readProgramSource([bzip2.compileCommandsPath], { libraries: [...bzip2.libs] }), "ir-instcount");
      const before = Buffer.from(prepared.input.bytes).toString("utf8");
      // The driver's CRC (`crc_of`): `^` becomes `|` — every CRC it prints changes.
      const header = before.search(/^define .*@crc_of\(/m);
      const xor = before.indexOf(" xor i32 ", header);
      expect(header).toBeGreaterThan(0);
      const broken = `${before.slice(0, xor)} or i32 ${before.slice(xor + " xor i32 ".length)}`;
      const verify = (after: string | Uint8Array, withRun: boolean) => verifyTransform({
        compiler: "llvm", before: { bytes: prepared.input.bytes }, after: typeof after === "string" ? { text: after } : { bytes: after },
        ...(withRun ? { runs: [realProgramRun(bzip2)] } : {}),
      });

      const blind = await verify(broken, false);
      expect(blind.ok).toBe(false);
      const blindSemantics = blind.layers.find((l) => l.name === "semantics")!;
      expect(blindSemantics.ok).toBe(false);
      expect(blindSemantics.evidence).toMatch(/crc_of/);

      const seen = await verify(broken, true);
      expect(seen).toMatchObject({ ok: false, decided: true, rejectedBy: "semantics" });
      expect(seen.layers.find((l) => l.name === "semantics")!.evidence).toMatch(/run bzip2: stdout differs/);

      const oz = await llvm.evaluate({ ...prepared.input }, { steps: [{ pass: "default<Oz>" }] }, "ir-instcount");
      const ozBlind = await verify(oz.output, false);
      expect(ozBlind.ok).toBe(false);
      expect(ozBlind.decided).toBe(false);
      const ozRun = await verify(oz.output, true);
      const semantics = ozRun.layers.find((l) => l.name === "semantics")!;
      expect(semantics.evidence).toMatch(/entered by the runs/);
      expect(semantics.evidence).not.toMatch(/stdout differs/);
    } finally {
      await llvm.close();
    }
  });
});
