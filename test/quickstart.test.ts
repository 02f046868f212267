/**
 * The README's Quick start is a promise: `npm run quickstart` runs the main job on the
 * embedded default — a registry on PGlite, a real LLVM adapter process, an optimization —
 * and checks its winning plan with plain clang and opt. This runs it as a user would
 * (with fewer evaluations), so a change that breaks it (an access rule the script's reads
 * no longer pass, say) fails the suite instead of the first person who tries it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./support/processes.js";

describe("npm run quickstart", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "opm-quickstart-test-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("optimizes the corpus program end to end, and plain opt measures what the market measured", async () => {
    process.env["OPM_DATA_DIR"] = dataDir;
    process.env["OPM_MAX_EVALS"] = "12";
    try {
      const { stdout, stderr } = await run("bash", ["scripts/quickstart.sh"], 240_000);
      const result = JSON.parse(stdout) as { best: number; baseline: number; pipeline: string; bestJobId: string };
      expect(result.best).toBeLessThanOrEqual(result.baseline);
      expect(result.pipeline.startsWith("default<Oz>")).toBe(true);
      expect(stderr).toContain("as the market measured");
      // The audit events of the winning job, read back by the participant who posed the problem.
      expect(stderr).toMatch(new RegExp(`jobs\\.claim ${result.bestJobId}`));
    } finally {
      delete process.env["OPM_DATA_DIR"];
      delete process.env["OPM_MAX_EVALS"];
    }
  }, 300_000);
});
