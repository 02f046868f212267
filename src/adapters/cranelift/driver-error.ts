import { OpmError, type ErrorCode } from "../../kernel/errors/index.js";
import type { DriverErrorBody } from "./driver-protocol.js";

/**
 * The OpmError code of each driver `error.code` (PROTOCOL.md). Requests the caller
 * got wrong are `invalid_argument`; a verifier refusal is `verification_failed`;
 * Cranelift failing on valid input is `compiler_failed`; a request our own client
 * built badly is `internal`.
 */
export const DRIVER_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  bad_json: "internal",
  bad_request: "internal",
  unsupported_protocol: "internal",
  unknown_op: "internal",
  unknown_step: "invalid_argument",
  unknown_setting: "invalid_argument",
  bad_setting_value: "invalid_argument",
  bad_base64: "internal",
  bad_format: "invalid_argument",
  parse_error: "invalid_argument",
  wasm_error: "invalid_argument",
  no_functions: "invalid_argument",
  unknown_function: "invalid_argument",
  bad_argument: "invalid_argument",
  verifier_error: "verification_failed",
  step_error: "compiler_failed",
  compile_error: "compiler_failed",
  isa_error: "compiler_failed",
  internal_panic: "compiler_failed",
};

/** Request fields the driver's invalid-argument errors point at. */
const FIELD_OF: Readonly<Record<string, string>> = {
  unknown_step: "plan.steps",
  unknown_setting: "plan.steps",
  bad_setting_value: "plan.steps",
  bad_format: "input",
  parse_error: "input",
  wasm_error: "input",
  no_functions: "input",
  unknown_function: "function",
  bad_argument: "args",
};

/**
 * Turns a failed driver response into an OpmError carrying the driver's message;
 * a verifier error names the function and step instead (`Cranelift's verifier
 * rejected function \`u0:3\` after step \`egraph_pass\` (index 1): <first
 * verifier line>`) with the verifier's whole text in `detail`. Codes not in
 * `DRIVER_ERROR_CODES` become `compiler_failed`.
 */
export function driverErrorToOpm(op: string, error: DriverErrorBody): OpmError {
  const code = DRIVER_ERROR_CODES[error.code] ?? "compiler_failed";
  const field = FIELD_OF[error.code];
  const verifier = typeof error["verifier"] === "string" ? error["verifier"] : undefined;
  let message = `opm-cranelift-driver \`${op}\` failed (${error.code}): ${error.message}`;
  if (error.code === "verifier_error") {
    const index = typeof error["index"] === "number" ? ` (index ${error["index"]})` : "";
    const first = verifier?.split("\n").find((l) => l.trim() !== "")?.trim() ?? error.message;
    message = `Cranelift's verifier rejected function \`${String(error["function"])}\` after step \`${String(error["step"])}\`${index}: ${first}`;
  }
  return new OpmError(code, message, {
    ...(field !== undefined ? { field } : {}),
    detail: verifier ?? JSON.stringify(error),
  });
}
