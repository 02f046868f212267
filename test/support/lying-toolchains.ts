import { runAdapter } from "../../src/adapters/framework/adapter-process.js";
import type { Measurement, ProblemInput, Toolchain } from "../../src/adapters/framework/toolchain.js";
import { LlvmToolchain } from "../../src/adapters/llvm/index.js";
import { contentId } from "../../src/kernel/codec/index.js";
import { isOpmError } from "../../src/kernel/errors/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import type { Identity } from "../../src/kernel/pki/index.js";
import type { Objective, Plan } from "../../src/kernel/plan/index.js";
import { LyingToolchain } from "./lying-adapter.js";

/**
 * One evaluation a liar is asked for: its index among the liar's measured evaluations
 * (1-based; as the registry counts its completions), the input's digest, the plan, and the truth.
 */
export interface Asked {
  index: number;
  inputDigest: string;
  plan: Plan;
  real: Measurement;
}

/** What a liar claims for an evaluation: a number (a lie unless it is the truth), or undefined for the truth. */
export type LiePolicy = (asked: Asked) => Promise<number | undefined>;

/** A lie told: what was claimed for which plan, and the truth. */
export interface Lie {
  index: number;
  plan: Plan;
  claimed: number;
  real: number;
}

/** 10% less than the truth (at least 1 less): `LyingToolchain`'s `smaller-metric` lie. */
export const smaller = (real: number): number => real - Math.max(1, Math.floor(real / 10));

/** Lies (`smaller`) on every `k`-th evaluation: the issue's liar lying on 1 job in 5, when `k` is 5. */
export const everyKth = (k: number): LiePolicy => async ({ index, real }) => (index % k === 0 ? smaller(real.value) : undefined);

/** What a liar can read of the market about one evaluation it is asked for, as any adapter can. */
export interface MarketView {
  /** The best accepted result of the same input, if any. */
  bestAccepted?: number;
  /** Whether another adapter already answered the same plan on the same input: then this is a spot check. */
  answered: boolean;
}

/**
 * Honest for its first `trusted` evaluations (past the registry's new-adapter checks), then
 * lies whenever a lie makes its result the best: claims one less than the best accepted
 * result of the same input, or 10% less than the truth when there is none yet — and the
 * truth when the truth is already better. It never lies on a spot check (a plan someone
 * else already answered, `look`): a lie there is always compared, so a careful liar lies
 * only on its own jobs, where the sample alone would rarely look.
 */
export const wouldBeBest = (trusted: number, look: (inputDigest: string, plan: Plan) => Promise<MarketView>): LiePolicy =>
  async ({ index, inputDigest, plan, real }) => {
    if (index <= trusted) return undefined;
    const seen = await look(inputDigest, plan);
    if (seen.answered) return undefined;
    const claim = seen.bestAccepted === undefined ? smaller(real.value) : seen.bestAccepted - 1;
    return claim < real.value ? claim : undefined;
  };

/**
 * The real LLVM toolchain under a lying policy, with `LyingToolchain`'s forged passing
 * verdict (the shared adapter loop signs it). Records every lie it tells (`lies`). With
 * `holdAt`, its `holdAt`-th evaluation does not return until `release()`: the adapter
 * keeps the job and heartbeats its lease meanwhile (`holding` says it is there).
 */
export class PolicyLyingToolchain extends LyingToolchain implements Toolchain {
  readonly lies: Lie[] = [];
  holding = false;
  private readonly llvm = new LlvmToolchain();
  private calls = 0;
  private measured = 0;
  private releaseHold: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => (this.releaseHold = resolve));

  constructor(private readonly policy: LiePolicy, private readonly holdAt?: number) {
    super("smaller-metric");
  }

  /** Ends the hold of evaluation `holdAt`, if it is holding. */
  release(): void {
    this.releaseHold();
  }

  override async evaluate(input: ProblemInput, plan: Plan, objective: Objective, options?: { timeoutMs?: number }): Promise<Measurement> {
    if (++this.calls === this.holdAt) {
      this.holding = true;
      await this.held;
      this.holding = false;
    }
    const real = await this.llvm.evaluate(input, plan, objective, options);
    // Counted once measured: a plan the compiler refuses is a failed job, not a completion.
    const index = ++this.measured;
    const claim = await this.policy({ index, inputDigest: contentId(input.bytes), plan, real });
    if (claim === undefined || claim === real.value) return real;
    this.lies.push({ index, plan, claimed: claim, real: real.value });
    return { ...real, value: claim, metrics: { ...real.metrics, [objective]: claim } };
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), this.llvm.close()]);
  }
}

/** A running adapter of the test process: its log, and stop. */
export interface InProcessAdapter {
  log(): string;
  /** Stops claiming and waits for running jobs; a quarantined or revoked adapter's refusal is its fate, not a failure. */
  stop(): Promise<void>;
}

/**
 * Runs the shared adapter loop (`runAdapter`) in this process around `toolchain` — a
 * liar's, or the real `LlvmToolchain` for an honest adapter — with a lease of `leaseMs`
 * (heartbeats every third of it).
 */
export function startInProcessAdapter(registry: string, identity: Identity, toolchain: Toolchain, leaseMs = 30_000): InProcessAdapter {
  let text = "";
  const controller = new AbortController();
  const done = runAdapter({
    registry, identity, toolchain, leaseMs, maxPollMs: 100,
    log: createLogger({ write: (line) => (text = (text + line).slice(-50_000)) }), signal: controller.signal,
  });
  // A loop that ends on its own says why in its log (the test reads it on failure).
  done.catch((err: unknown) => (text += `adapter loop ended: ${err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err)}\n`));
  return {
    log: () => text,
    stop: async () => {
      controller.abort();
      await done.catch((err: unknown) => {
        if (!isOpmError(err, "permission_denied")) throw err;
      });
    },
  };
}
