import type { CallContext } from "./call-context.js";

/**
 * Who may call what, applied by `unaryHandler` to every method: `authorize` runs after the
 * caller is authenticated and before the method (throws permission_denied), `filter` on the
 * reply of a read. The registry's implementation is `AccessControl` (src/server/access).
 */
export interface AccessPolicy {
  authorize(ctx: CallContext, methodPath: string, request: unknown): Promise<void>;
  filter<R>(ctx: CallContext, methodPath: string, response: R): Promise<R>;
  /** Throws when a method of `service` that the policy governs has no rule (checked when binding). */
  requireRules(serviceTypeName: string, methodNames: readonly string[]): void;
}
