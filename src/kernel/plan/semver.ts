import { invalidArgument } from "../errors/index.js";

/** A parsed `MAJOR.MINOR.PATCH` version (pre-release and build suffixes are not accepted). */
export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

const SEMVER = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

/** Parses `text`; throws invalid_argument naming `field`. */
export function parseSemver(text: string, field: string): Semver {
  const m = SEMVER.exec(text);
  if (m === null) throw invalidArgument(field, `${JSON.stringify(text)} is not a MAJOR.MINOR.PATCH version`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** `major.minor.patch`. */
export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/**
 * Parses a compiler version leniently: `14.0.6`, `14`, `12.2.0-14` → the leading numeric
 * triple with missing parts as 0. Throws invalid_argument naming `field`.
 */
export function parseCompilerVersion(text: string, field: string): Semver {
  const m = /^(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?/.exec(text);
  if (m === null) throw invalidArgument(field, `${JSON.stringify(text)} is not a version`);
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}
