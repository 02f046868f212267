export { ERROR_CODES, OpmError, invalidArgument, isOpmError } from "./opm-error.js";
export type { ErrorCode, OpmErrorOptions } from "./opm-error.js";
export { GRPC_STATUS_OF } from "./grpc-status.js";
