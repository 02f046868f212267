import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "../framework/run-tool.js";
import type { PassOffer } from "../../kernel/plan/index.js";
import { parseGccDescriptions, parseOptimizerFlags, parseParams, type GccCandidate } from "./parse-gcc-help.js";

export interface GccCatalogOptions {
  /** Absolute path of gcc. */
  gcc: string;
  /** `gcc -dumpfullversion`. */
  version: string;
  /** `gcc -dumpmachine`. */
  target: string;
  /** Where verified catalogs are cached; default `$TMPDIR/opm-cache`. `null` disables the cache. */
  cacheDir?: string | null;
}

/** Bump when the catalog's shape or the verification rule changes, to ignore old caches. */
const CATALOG_FORMAT = 2;
const CHUNK = 16;
const PARALLEL = 8;

/**
 * The optimisation options the installed gcc really accepts for C: `-O` levels,
 * every `-f` optimizer flag of `gcc -Q --help=optimizers -Os` and every parameter of
 * `gcc -Q --help=params -Os`, each kept only if compiling an empty C file with it
 * gives exit 0 and no diagnostic at all (C++-only flags, renamed aliases and
 * options useless without -g warn, so they are dropped). An on/off flag must pass
 * in both states (`-fX` and `-fno-X`). Candidates are checked in chunks of 16; a
 * chunk with any diagnostic is re-checked one option at a time.
 * The result is cached per gcc path, version and target.
 */
export async function buildGccCatalog(options: GccCatalogOptions): Promise<PassOffer[]> {
  const cacheFile = options.cacheDir === null ? undefined : cachePath(options);
  if (cacheFile) {
    try {
      return JSON.parse(await readFile(cacheFile, "utf8")) as PassOffer[];
    } catch {
      // no cache yet (or unreadable): build it
    }
  }
  const help = async (...args: string[]): Promise<string> =>
    (await runTool(options.gcc, args, { timeoutMs: 30_000, missingPackage: "gcc" })).stdout.toString();
  const [qFlags, flagDocs, qParams, paramDocs] = await Promise.all([
    help("-Q", "--help=optimizers", "-Os"),
    help("--help=optimizers"),
    help("-Q", "--help=params", "-Os"),
    help("--help=params"),
  ]);
  const candidates = [
    ...parseOptimizerFlags(qFlags, parseGccDescriptions(flagDocs)),
    ...parseParams(qParams, parseGccDescriptions(paramDocs)),
  ];
  const accepted = await acceptedCandidates(options.gcc, candidates);
  const catalog = candidates.filter((c) => accepted.has(c)).map((c) => c.offer);
  if (cacheFile) {
    await mkdir(join(cacheFile, ".."), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(catalog));
    await rename(temporary, cacheFile); // atomic: concurrent builders never see half a file
  }
  return catalog;
}

function cachePath(options: GccCatalogOptions): string {
  const key = createHash("sha256").update(`${CATALOG_FORMAT}\0${options.gcc}\0${options.version}\0${options.target}`).digest("hex").slice(0, 16);
  return join(options.cacheDir ?? join(tmpdir(), "opm-cache"), `gcc-catalog-${options.version}-${options.target}-${key}.json`);
}

async function acceptedCandidates(gcc: string, candidates: readonly GccCandidate[]): Promise<Set<GccCandidate>> {
  const accepted = new Set<GccCandidate>();
  const chunks: GccCandidate[][] = [];
  for (let i = 0; i < candidates.length; i += CHUNK) chunks.push(candidates.slice(i, i + CHUNK));
  const retry: GccCandidate[] = [];
  await inParallel(chunks, async (chunk) => {
    if (await compilesCleanly(gcc, chunk.flatMap((c) => c.testArgs))) chunk.forEach((c) => accepted.add(c));
    else retry.push(...chunk);
  });
  await inParallel(retry, async (c) => {
    if (await compilesCleanly(gcc, c.testArgs)) accepted.add(c);
  });
  return accepted;
}

/** True when gcc compiles an empty C translation unit with `args` silently. */
export async function compilesCleanly(gcc: string, args: readonly string[]): Promise<boolean> {
  const r = await runTool(gcc, ["-c", "-x", "c", "-", "-o", "/dev/null", ...args], { stdin: "", timeoutMs: 30_000, missingPackage: "gcc" });
  return r.exitCode === 0 && r.stderr.length === 0;
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}
