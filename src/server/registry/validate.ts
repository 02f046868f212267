import { invalidArgument } from "../../kernel/errors/index.js";

/** Throws invalid_argument unless `value` is a non-empty string of at most `max` chars. */
export function requireText(value: string, field: string, max = 256): void {
  if (value === "") throw invalidArgument(field, "is required");
  if (value.length > max) throw invalidArgument(field, `is ${value.length} chars long; at most ${max} allowed`);
}

/** Throws invalid_argument unless `value` is a known, non-zero enum value. */
export function requireEnum(value: number, names: Record<number, string>, field: string): void {
  if (value === 0 || names[value] === undefined) throw invalidArgument(field, `unknown or unspecified value ${value}`);
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Throws invalid_argument unless `value` is a lowercase SHA-256 hex digest. */
export function requireDigest(value: string, field: string): void {
  if (!HEX_DIGEST.test(value)) throw invalidArgument(field, `${JSON.stringify(value.slice(0, 80))} is not a lowercase SHA-256 hex digest`);
}

/** Throws invalid_argument unless `value` is finite. */
export function requireFinite(value: number, field: string): void {
  if (!Number.isFinite(value)) throw invalidArgument(field, `${value} is not a finite number`);
}
