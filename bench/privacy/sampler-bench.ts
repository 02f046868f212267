/**
 * Privacy mechanisms: throughput of the exact samplers (src/privacy) at the release costs a
 * policy is likely to set — ε = 0.1, 1 and 10 for a quantity of sensitivity 100 (basis
 * points clamped to a range 100 wide) — against the baseline of the randomness they consume,
 * `crypto.randomInt`, measured in the same run. The discrete Gaussian is calibrated to the
 * same ε through zCDP: ρ = ε²/2 (what ε-DP Laplace costs under zCDP), σ² = Δ²/(2ρ) = (Δ/ε)².
 * Optionally also the latency of a whole release (`chargeAndRelease`: lock, charge, sample,
 * store, audit — one transaction) on PGlite and, with OPM_BENCH_POSTGRES_URL, PostgreSQL.
 *
 *     npx tsc --outDir .tmp/privacy-bench --rootDir . --module nodenext --moduleResolution nodenext \
 *       --target es2022 --lib es2023 --types node --strict --skipLibCheck --sourceMap false bench/privacy/sampler-bench.ts
 *     node .tmp/privacy-bench/bench/privacy/sampler-bench.js --seconds 2 --rounds 5 --releases 300
 */
import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  cryptoRandomSource, gaussianForRho, laplaceForEpsilon, parseAmount, rational, sampleNoise,
  type NoiseMechanism, type RandomSource,
} from "../../src/privacy/index.js";
import { chargeAndRelease } from "../../src/server/privacy/index.js";
import { createCallContext } from "../../src/server/rpc/index.js";
import { openDatabase } from "../../src/server/storage/index.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SECONDS = arg("seconds", 2);
const ROUNDS = arg("rounds", 3);
const RELEASES = arg("releases", 0);
const SENSITIVITY = 100n;

/** Calls per second of `fn`, timed in batches of 1,000 for about `seconds`. */
function rate(fn: () => unknown, seconds: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `fn`'s rate and its time per call in units of the baseline's, alternating baseline and
 * `fn` in each of ROUNDS rounds (so load that drifts during the run hits both alike); medians.
 */
function measure(fn: () => unknown, baseline: () => unknown): { rate: number; baselineRate: number; ratio: number } {
  const rates: number[] = [];
  const baselines: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = rate(baseline, SECONDS / 2);
    const f = rate(fn, SECONDS);
    rates.push(f);
    baselines.push(b);
    ratios.push(b / f);
  }
  return { rate: median(rates), baselineRate: median(baselines), ratio: median(ratios) };
}

/** Uniform draws per sample (over 20,000 samples). */
function drawsPerSample(mechanism: NoiseMechanism): number {
  let draws = 0;
  const counting: RandomSource = { uniformBelow: (b) => (draws++, cryptoRandomSource.uniformBelow(b)) };
  for (let i = 0; i < 20_000; i++) sampleNoise(mechanism, counting);
  return draws / 20_000;
}

const eps = (e: string) => rational(parseAmount(e), 1_000_000_000n);
const rows: Array<{ name: string; mechanism: NoiseMechanism }> = [];
for (const e of ["0.1", "1", "10"]) {
  const epsilon = eps(e);
  rows.push({ name: `discrete Laplace, ε = ${e} (scale ${Number(SENSITIVITY) / Number(e)})`, mechanism: laplaceForEpsilon(SENSITIVITY, epsilon) });
  const rho = rational(epsilon.num * epsilon.num, 2n * epsilon.den * epsilon.den);
  rows.push({ name: `discrete Gaussian, ρ = ε²/2 at ε = ${e} (σ = ${Number(SENSITIVITY) / Number(e)})`, mechanism: gaussianForRho(SENSITIVITY, rho) });
}

console.log(`node ${process.version}, ${ROUNDS} rounds of (randomInt ${SECONDS / 2} s, sampler ${SECONDS} s) per row, medians; sensitivity ${SENSITIVITY}`);
console.log("| mechanism | samples/s | crypto.randomInt(1000) calls/s, same rounds | sampler time ÷ randomInt time | uniform draws per sample |");
console.log("|---|---:|---:|---:|---:|");
const baseline = () => randomInt(1000);
for (const { name, mechanism } of rows) {
  const m = measure(() => sampleNoise(mechanism), baseline);
  console.log(`| ${name} | ${m.rate.toFixed(0)} | ${m.baselineRate.toFixed(0)} | ${m.ratio.toFixed(1)} | ${drawsPerSample(mechanism).toFixed(1)} |`);
}

if (RELEASES > 0) {
  const targets: Array<{ kind: string; url?: string }> = [{ kind: "pglite" }];
  if (process.env.OPM_BENCH_POSTGRES_URL) targets.push({ kind: "postgres", url: process.env.OPM_BENCH_POSTGRES_URL });
  for (const target of targets) {
    const open = await openDatabase(target.url === undefined ? { ephemeral: true } : { url: target.url });
    const mechanism = laplaceForEpsilon(SENSITIVITY, eps("0.001"));
    const terms = { accountant: "pure-dp" as const, total: parseAmount("1000000") };
    const run = `${Date.now()}`;
    const release = async (i: number, quantity: string) => {
      const ctx = createCallContext(open.db, { actor: "bench", certificateFingerprint: "", method: "/bench", correlationId: `${i}`, requestDigest: "", now: Date.now() });
      return chargeAndRelease(ctx, {
        participant: `bench-${run}`, family: "bench/improvement", subject: `s-${run}-${i}`, quantity, value: 50n,
        clamp: { min: 0n, max: SENSITIVITY }, mechanism, terms,
      });
    };
    for (let i = 0; i < 20; i++) await release(-1 - i, "warmup");
    let start = performance.now();
    for (let i = 0; i < RELEASES; i++) await release(i, "improvement_bp");
    const fresh = (performance.now() - start) / RELEASES;
    start = performance.now();
    for (let i = 0; i < RELEASES; i++) await release(i, "improvement_bp"); // already made: served as stored
    const stored = (performance.now() - start) / RELEASES;
    console.log(`${target.kind}: a new release (one transaction) ${fresh.toFixed(2)} ms; the same release served as stored ${stored.toFixed(2)} ms (${RELEASES} sequential each)`);
    await open.close();
  }
}
