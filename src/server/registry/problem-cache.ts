import type { LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import type { CallContext } from "../rpc/index.js";
import { loadProblem } from "./problems.js";

/**
 * Problems by content id. A stored problem never changes (its id is the hash of its
 * bytes), so entries need no invalidation; the oldest are dropped past `capacity`.
 * One cache per registry node (never shared across databases).
 */
export class ProblemCache {
  private readonly entries = new Map<string, LocalProblem>();

  constructor(private readonly capacity = 10_000) {}

  /** The problem `id`; throws not_found naming `field` (see `loadProblem`). */
  async get(ctx: CallContext, id: string, field: string): Promise<LocalProblem> {
    const hit = this.entries.get(id);
    if (hit !== undefined) return hit;
    const problem = await loadProblem(ctx, id, field);
    // Only once committed: the read may have seen a problem written earlier in a
    // transaction that still rolls back (see CommitGroup).
    ctx.afterCommit(() => {
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(id, problem);
    });
    return problem;
  }
}
