import { isOpmError, type OpmError } from "../../src/kernel/errors/index.js";

/** The OpmError `p` rejects with; fails the test when `p` resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<OpmError> {
  try {
    await p;
  } catch (err) {
    if (isOpmError(err)) return err;
    throw err;
  }
  throw new Error("expected the call to fail with an OpmError");
}
