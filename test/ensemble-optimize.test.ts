import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { corpusPrograms } from "../bench/corpus/index.js";
import type { OptimizeResult } from "../src/client/orchestrator/index.js";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));

/**
 * `opm optimize --strategy ensemble` end to end (`npm run build` first): the embedded
 * registry over mTLS gRPC on loopback, evaluation jobs, two real LLVM adapters verifying
 * every evaluation, and the participant's own reproduction of the best. bitcount is a
 * program where a few plans beat `default<Oz>` (bench/RESULTS.md, LLVM search).
 */
describe("opm optimize --strategy ensemble", () => {
  it("finds a verified result smaller than default<Oz>, reproduced locally", async () => {
    if (!existsSync(fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url)))) throw new Error("dist/ is missing: run `npm run build` first");
    const file = corpusPrograms().find((p) => p.name === "bitcount")!.path;
    const args = ["optimize", file, "--compiler", "llvm", "--strategy", "ensemble", "--max-evals", "16", "--max-steps", "8", "--seed", "3", "--json"];
    const { stdout } = await promisify(execFile)(process.execPath, [OPM, ...args], { timeout: 600_000 });
    const r = JSON.parse(stdout) as OptimizeResult;
    expect(r).toMatchObject({ compiler: "llvm", objective: "ir-instcount", evaluations: 16, unreproduced: [] });
    expect(r.best).toBeLessThan(r.baseline);
    expect(r.pipeline.startsWith("default<Oz>,")).toBe(true);
    expect(r.bestSignalId).toMatch(/^[0-9a-f]{64}$/);
  }, 600_000);
});
