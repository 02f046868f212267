import { afterAll, describe, expect, it } from "vitest";
import { generateEd25519, signBytes, verifyBytes } from "./ed25519.js";
import { inlineVerifier, VerifyPool } from "./verify-pool.js";

describe("VerifyPool", () => {
  const pool = new VerifyPool(2);
  afterAll(() => pool.close());
  const keys = [generateEd25519(), generateEd25519()];
  const message = (i: number) => new TextEncoder().encode(`message ${i}`);

  it("agrees with node:crypto on the calling thread, for good and bad signatures alike, in one burst", async () => {
    const cases = Array.from({ length: 200 }, (_, i) => {
      const signer = keys[i % 2]!;
      const signature = signBytes(signer.privateKey, message(i));
      if (i % 5 === 1) signature[i % 64]! ^= 1; // a flipped bit
      const key = i % 7 === 3 ? keys[(i + 1) % 2]!.publicKey : signer.publicKey; // the other key
      const msg = i % 11 === 4 ? message(i + 1) : message(i); // another message
      const sig = i % 13 === 6 ? signature.subarray(0, 63) : signature; // short
      return { key, msg, sig };
    });
    const pooled = await Promise.all(cases.map((c) => pool.verify(c.key, c.msg, c.sig)));
    const inline = cases.map((c) => verifyBytes(c.key, c.msg, c.sig));
    expect(pooled).toEqual(inline);
    expect(pooled.filter(Boolean).length).toBeGreaterThan(100);
    expect(pooled.filter((ok) => !ok).length).toBeGreaterThan(50);
  });

  it("finishes checks inline once closed, and never accepts a bad signature", async () => {
    const closing = new VerifyPool(1);
    const good = signBytes(keys[0]!.privateKey, message(1));
    const pending = [closing.verify(keys[0]!.publicKey, message(1), good), closing.verify(keys[0]!.publicKey, message(2), good)];
    await closing.close();
    expect(await Promise.all(pending)).toEqual([true, false]);
    expect(await closing.verify(keys[0]!.publicKey, message(1), good)).toBe(true);
    expect(await inlineVerifier.verify(keys[1]!.publicKey, message(1), good)).toBe(false);
  });

  it("agrees on a burst larger than one hand-off (sent while the caller still queues)", async () => {
    const signature = signBytes(keys[0]!.privateKey, message(0));
    const checks = Array.from({ length: 2500 }, (_, i) => pool.verify(keys[0]!.publicKey, message(i % 3 === 0 ? 0 : i), signature));
    const results = await Promise.all(checks);
    expect(results.filter(Boolean).length).toBe(Math.ceil(2500 / 3));
    expect(results.every((ok, i) => ok === (i % 3 === 0))).toBe(true);
  });

  it("with close(\"drop\") answers no check still held, and still refuses nothing it answers", async () => {
    const dropping = new VerifyPool(1);
    const good = signBytes(keys[0]!.privateKey, message(1));
    let answered = 0;
    for (let i = 0; i < 50; i++) void dropping.verify(keys[0]!.publicKey, message(1), good).then(() => answered++);
    await dropping.close("drop");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(0);
    expect(await dropping.verify(keys[0]!.publicKey, message(2), good)).toBe(false);
  });
});
