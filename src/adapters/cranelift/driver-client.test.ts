import { afterAll, describe, expect, it } from "vitest";
import { CraneliftDriverClient } from "./driver-client.js";
import { rejection } from "../../../test/support/rejection.js";

const client = new CraneliftDriverClient();
afterAll(() => client.close());


/** Loops forever: the interpreter runs until its fuel or our time limit ends. */
const SPIN = `function %spin(i32) -> i32 {
block0(v0: i32):
    jump block1(v0)
block1(v1: i32):
    v2 = iadd_imm v1, 1
    jump block1(v2)
}
`;
const clif = (text: string) => ({ format: "clif", base64: Buffer.from(text).toString("base64") });

describe("CraneliftDriverClient", () => {
  it("keeps one process for many requests, answered in call order", async () => {
    const before = client.spawnCount;
    const [info, catalog, info2] = await Promise.all([client.request("info"), client.request("catalog"), client.request("info")]);
    expect(info.protocol_version).toBe(1);
    expect(info.versions["cranelift-codegen"]).toMatch(/^0\.\d+\.\d+$/);
    expect(catalog.steps.length).toBeGreaterThan(0);
    expect(info2).toEqual(info);
    expect(client.spawnCount - before).toBeLessThanOrEqual(1);
  });

  it("maps driver errors to OpmError codes", async () => {
    const unknownStep = await rejection(client.request("compile", { input: clif(SPIN), steps: ["licm"] }));
    expect(unknownStep.code).toBe("invalid_argument");
    expect(unknownStep.message).toContain("licm");
    const parse = await rejection(client.request("compile", { input: clif("function %f( {") }));
    expect(parse.code).toBe("invalid_argument");
    // the client is still usable after failed requests
    expect((await client.request("info")).target).toBe("x86_64");
  });

  it("kills a request past its time limit and restarts the driver for the next one", async () => {
    const spawned = client.spawnCount;
    const e = await rejection(
      client.request("interpret", { input: clif(SPIN), function: "spin", args: [0], steps: [], fuel: 1e15 }, { timeoutMs: 300 }),
    );
    expect(e.code).toBe("deadline_exceeded");
    expect(e.message).toContain("300 ms");
    expect((await client.request("info")).protocol_version).toBe(1);
    expect(client.spawnCount).toBe(spawned + 1);
  });

  it("says how to build a missing driver", async () => {
    const missing = new CraneliftDriverClient({ path: "/nonexistent/opm-cranelift-driver" });
    const e = await rejection(missing.request("info"));
    expect(e.code).toBe("tool_missing");
    expect(e.message).toContain("/nonexistent/opm-cranelift-driver");
    expect(e.message).toContain("`cargo build --release` in `src/adapters/cranelift/driver`");
    expect(e.message).toContain("bash scripts/setup.sh");
  });
});
