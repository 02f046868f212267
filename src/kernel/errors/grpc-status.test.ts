import { status, type ServiceError } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { fromServiceError, toServiceError } from "../wire/error-mapping.js";
import { ERROR_CODES, GRPC_STATUS_OF, OpmError, type ErrorCode } from "./index.js";

/** Every error code and the gRPC status it must travel as, listed by hand on purpose. */
const EXPECTED: Record<ErrorCode, keyof typeof status> = {
  invalid_argument: "INVALID_ARGUMENT",
  malformed_message: "INVALID_ARGUMENT",
  unauthenticated: "UNAUTHENTICATED",
  nonce_replayed: "UNAUTHENTICATED",
  stale_timestamp: "UNAUTHENTICATED",
  permission_denied: "PERMISSION_DENIED",
  not_found: "NOT_FOUND",
  already_exists: "ALREADY_EXISTS",
  failed_precondition: "FAILED_PRECONDITION",
  resource_exhausted: "RESOURCE_EXHAUSTED",
  deadline_exceeded: "DEADLINE_EXCEEDED",
  tool_missing: "FAILED_PRECONDITION",
  compiler_failed: "ABORTED",
  verification_failed: "FAILED_PRECONDITION",
  verification_undecided: "FAILED_PRECONDITION",
  unavailable: "UNAVAILABLE",
  internal: "INTERNAL",
};
const CODES = Object.keys(EXPECTED) as ErrorCode[];

/** What a client receives for a server-side `toServiceError` result. */
function received(sent: Partial<ServiceError>): ServiceError {
  const name = sent.code === undefined ? "UNKNOWN" : status[sent.code];
  return Object.assign(new Error(`${sent.code} ${name}: ${sent.details}`), sent) as ServiceError;
}

describe("GRPC_STATUS_OF", () => {
  it("lists exactly the codes of ErrorCode, and this test lists them all", () => {
    expect(Object.keys(GRPC_STATUS_OF).sort()).toEqual([...ERROR_CODES].sort());
    expect([...CODES].sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each(CODES)("maps %s to its gRPC status", (code) => {
    expect(status[GRPC_STATUS_OF[code]]).toBe(EXPECTED[code]);
  });
});

describe("toServiceError → fromServiceError", () => {
  it.each(CODES)("round-trips %s with its message", (code) => {
    const message = `field \`problem.objective\`: ${code} — unknown value "speed"`;
    const logged: unknown[] = [];
    const sent = toServiceError(new OpmError(code, message, { field: "problem.objective" }), "corr-1", (e) => logged.push(e));
    expect(sent.code).toBe(status[EXPECTED[code]]);
    expect(sent.details).toBe(message);
    expect(logged).toEqual([]);

    const back = fromServiceError(received(sent));
    expect(back).toBeInstanceOf(OpmError);
    expect(back.code).toBe(code);
    expect(back.message).toBe(message);
  });

  it("sends anything that is not an OpmError as INTERNAL with the correlation id, logging the cause", () => {
    const cause = new TypeError("x is undefined");
    const logged: unknown[] = [];
    const sent = toServiceError(cause, "corr-7", (e) => logged.push(e));
    expect(sent.code).toBe(status.INTERNAL);
    expect(sent.details).toBe("internal error (correlation id corr-7)");
    expect(sent.details).not.toContain("x is undefined");
    expect(logged).toEqual([cause]);
    expect(fromServiceError(received(sent)).code).toBe("internal");
  });
});
