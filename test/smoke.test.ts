import { describe, expect, it } from "vitest";
import { Compiler } from "../src/gen/openpassmarket/v1/common_pb.js";
import { testDatabases } from "./support/databases.js";
import { startHarness } from "./support/registry-harness.js";

describe.each(testDatabases())("smoke on $kind", (database) => {
  it("registers an adapter over mTLS", async () => {
    const h = await startHarness(database);
    try {
      const id = await h.identity("llvm-1");
      const c = h.client(id);
      const res = await c.registerAdapter({ publicKey: id.keys.publicKeyRaw, capabilities: { compiler: Compiler.LLVM, compilerVersion: "14.0.6", targetTriple: "x86_64-pc-linux-gnu" } });
      expect(res.actor?.name).toBe("llvm-1");
    } finally {
      await h.close();
    }
  });
});
