/**
 * What this process's own runs of a deterministic LLVM tool established about an IR
 * artifact, by the tool's absolute path and the artifact's SHA-256: `opt
 * -passes=verify` accepted it, `llc -filetype=obj` gave it so many `.text*` bytes,
 * `countInstructions(readLlvmIr(…))` counted so many instructions.
 * `LlvmToolchain.evaluate` records what it ran; `verifyLlvm` looks here before running
 * the same tool on the same bytes again (an adapter verifies every evaluation it made
 * right after making it). Only facts from a tool run that completed are recorded, and
 * a lookup must name the same tool, so a fresh process (`opm verify`) or another tool
 * path always runs the tool itself. Bounded: the last `MEMO_SIZE` artifacts.
 *
 * This does not weaken the verifier an adapter runs on its own evaluations: the same
 * deterministic tool on the same bytes gives the same answer, and the claim it checks
 * (the metric and digest the signal will carry) is still compared with what the tools
 * said, not with what the evaluation reported.
 */
interface ArtifactFacts {
  /** `<opt> -passes=verify` exited 0 on these bytes. */
  verifiedBy?: string;
  /** `.text*` bytes of `<llc> -filetype=obj` on these bytes, by llc path. */
  textSize?: { llc: string; bytes: number };
  /** `countInstructions(readLlvmIr(text))` of these bytes. */
  instructions?: number;
}

const MEMO_SIZE = 256;
const memo = new Map<string, ArtifactFacts>();

/** Records that `opt` (absolute path) accepted the artifact. */
export function rememberVerified(digest: string, opt: string): void {
  update(digest, { verifiedBy: opt });
}

/** Records the `.text*` bytes `llc` (absolute path) gave the artifact. */
export function rememberTextSize(digest: string, llc: string, bytes: number): void {
  update(digest, { textSize: { llc, bytes } });
}

/** True when `opt` itself accepted these bytes earlier in this process. */
export function verifiedBy(digest: string, opt: string): boolean {
  return memo.get(digest)?.verifiedBy === opt;
}

/** The `.text*` bytes `llc` measured on these bytes earlier in this process, if it did. */
export function textSizeBy(digest: string, llc: string): number | undefined {
  const t = memo.get(digest)?.textSize;
  return t !== undefined && t.llc === llc ? t.bytes : undefined;
}

/** Records `countInstructions(readLlvmIr(…))` of the artifact. */
export function rememberInstructionCount(digest: string, instructions: number): void {
  update(digest, { instructions });
}

/** `countInstructions(readLlvmIr(…))` of these bytes, when this process computed it. */
export function instructionCountOf(digest: string): number | undefined {
  return memo.get(digest)?.instructions;
}

function update(digest: string, facts: ArtifactFacts): void {
  const merged = { ...memo.get(digest), ...facts };
  memo.delete(digest);
  memo.set(digest, merged);
  while (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
}
