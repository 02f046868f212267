import { runAdapter } from "../../src/adapters/framework/adapter-process.js";
import type { EvaluationToVerify, Measurement, PreparedProblem, ProblemInput, Toolchain } from "../../src/adapters/framework/toolchain.js";
import { llvmDeclaration } from "../../src/adapters/llvm/index.js";
import type { Verdict } from "../../src/adapters/verifier/index.js";
import type { Objective, PassOffer, Plan } from "../../src/kernel/plan/index.js";
import { LlvmToolchain } from "../../src/adapters/llvm/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import type { Identity } from "../../src/kernel/pki/index.js";
import { isOpmError } from "../../src/kernel/errors/index.js";

/**
 * How a lying adapter lies: `smaller-metric` reports a metric below what its output has
 * (the output and its digest are the real ones); `other-program` answers with another
 * program's output under the same plan — its IR, its digest, its metric.
 */
export type LieMode = "smaller-metric" | "other-program";

/**
 * The real LLVM toolchain, lying about what `evaluate` produced. For `other-program`,
 * `otherProgram` is the C file whose optimized IR it hands in instead. A liar does not
 * run the verifier that would expose it: `verifyEvaluation` makes up a verdict with every
 * layer the registry requires marked passed, and the shared adapter loop signs it.
 */
export class LyingToolchain implements Toolchain {
  private readonly real = new LlvmToolchain();
  private other: Promise<PreparedProblem> | undefined;

  constructor(private readonly mode: LieMode, private readonly otherProgram = "") {}

  info() { return this.real.info(); }
  catalog() { return this.real.catalog(); }
  prepare(file: string, objective: Objective) { return this.real.prepare(file, objective); }
  renderPlan(plan: Plan) { return this.real.renderPlan(plan); }
  searchSpace(catalog: readonly PassOffer[], objective: Objective, maxSteps: number) { return this.real.searchSpace(catalog, objective, maxSteps); }
  close() { return this.real.close(); }

  async verifyEvaluation({ objective, measured }: EvaluationToVerify): Promise<Verdict> {
    const layers = llvmDeclaration.requiredLayers.map((name) => ({
      name, ok: true, evidence: name === "metric" ? `${objective} ${measured.value}, digest ${measured.outputDigest}` : `${name} checked`,
    }));
    return { ok: true, decided: true, layers };
  }

  async evaluate(input: ProblemInput, plan: Plan, objective: Objective, options?: { timeoutMs?: number }): Promise<Measurement> {
    if (this.mode === "other-program") {
      this.other ??= this.real.prepare(this.otherProgram, objective);
      return this.real.evaluate((await this.other).input, plan, objective, options);
    }
    const measured = await this.real.evaluate(input, plan, objective, options);
    const lie = measured.value - Math.max(1, Math.floor(measured.value / 10));
    return { ...measured, value: lie, metrics: { ...measured.metrics, [objective]: lie } };
  }
}

/** A running lying adapter. */
export interface LyingAdapter {
  /** What its adapter loop logged, for diagnostics. */
  log(): string;
  /** Stops claiming and waits for running jobs; rejects if the loop failed. */
  stop(): Promise<void>;
}

/**
 * Starts a lying adapter in this process: the shared adapter loop (`runAdapter`:
 * registration, catalog, claims, heartbeats, signed completions over mTLS gRPC) around a
 * `LyingToolchain`, which signs a passing verdict it made up. In-process rather than a child: the test
 * tree is not compiled to `dist/`, and Node 20 cannot run TypeScript directly.
 */
export function startLyingAdapter(registry: string, identity: Identity, mode: LieMode, otherProgram = ""): LyingAdapter {
  let text = "";
  const controller = new AbortController();
  const done = runAdapter({
    registry, identity, toolchain: new LyingToolchain(mode, otherProgram), leaseMs: 30_000, maxPollMs: 200,
    log: createLogger({ write: (line) => (text = (text + line).slice(-20_000)) }), signal: controller.signal,
  });
  done.catch(() => undefined);
  return {
    log: () => text,
    stop: async () => {
      controller.abort();
      // A revoked liar has already ended its run with permission_denied: that is its fate, not a failure to stop.
      await done.catch((err: unknown) => {
        if (!isOpmError(err, "permission_denied")) throw err;
      });
    },
  };
}
