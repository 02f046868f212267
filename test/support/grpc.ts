import { status } from "@grpc/grpc-js";
import { GRPC_STATUS_OF, type OpmError } from "../../src/kernel/errors/index.js";
export { callUnary } from "../../src/kernel/wire/index.js";

/** The gRPC status a client saw for `err` (from the wire, falling back to the code table). */
export function GRPC_STATUS(err: OpmError): status {
  const cause = err.cause as { code?: status } | undefined;
  return cause?.code ?? GRPC_STATUS_OF[err.code];
}
