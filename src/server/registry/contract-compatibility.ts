import { PassLevel, PassParameter_Kind, type PassParameter, type PassSpec } from "../../gen/openpassmarket/v1/contracts_pb.js";
import { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import { parseCompilerVersion, compareSemver } from "../../kernel/plan/semver.js";

/** One change that can break a user of the older version, with the field it is in. */
export interface BreakingChange {
  field: string;
  change: string;
}

/**
 * The changes from `before` to `after` that break a caller relying on `before`:
 * anything removed, narrowed or redefined. Additions (a new parameter, a wider range,
 * an extra invariant) are compatible. Empty when `after` is a compatible successor.
 */
export function breakingChanges(before: PassSpec, after: PassSpec): BreakingChange[] {
  const out: BreakingChange[] = [];
  if (before.name !== after.name) out.push({ field: "name", change: `renamed ${before.name} → ${after.name}` });
  if (before.compiler !== after.compiler) {
    out.push({ field: "compiler", change: `changed ${Compiler[before.compiler]} → ${Compiler[after.compiler]}` });
  }
  if (before.level !== after.level) out.push({ field: "level", change: `changed ${PassLevel[before.level]} → ${PassLevel[after.level]}` });
  out.push(...rangeNarrowing(before, after));
  for (const invariant of before.invariants) {
    if (!after.invariants.includes(invariant)) out.push({ field: "invariants", change: `no longer claims ${JSON.stringify(invariant)}` });
  }
  const afterParams = new Map(after.parameters.map((p) => [p.name, p]));
  for (const old of before.parameters) {
    const now = afterParams.get(old.name);
    const field = `parameters[${old.name}]`;
    if (now === undefined) {
      out.push({ field, change: "removed" });
      continue;
    }
    out.push(...parameterChanges(field, old, now));
  }
  return out;
}

function parameterChanges(field: string, old: PassParameter, now: PassParameter): BreakingChange[] {
  if (old.kind !== now.kind) {
    return [{ field: `${field}.kind`, change: `changed ${PassParameter_Kind[old.kind]} → ${PassParameter_Kind[now.kind]}` }];
  }
  const out: BreakingChange[] = [];
  if (old.kind === PassParameter_Kind.INT) {
    const unbounded = (p: PassParameter) => p.min === 0n && p.max === 0n;
    if (!unbounded(now) && (unbounded(old) || now.min > old.min)) out.push({ field: `${field}.min`, change: `raised ${old.min} → ${now.min}` });
    if (!unbounded(now) && (unbounded(old) || now.max < old.max)) out.push({ field: `${field}.max`, change: `lowered ${old.max} → ${now.max}` });
  }
  for (const value of old.values) {
    if (!now.values.includes(value)) out.push({ field: `${field}.values`, change: `dropped ${JSON.stringify(value)}` });
  }
  return out;
}

function rangeNarrowing(before: PassSpec, after: PassSpec): BreakingChange[] {
  const b = before.compilerVersions;
  const a = after.compilerVersions;
  const out: BreakingChange[] = [];
  const bMin = b?.min ?? "";
  const aMin = a?.min ?? "";
  const bMax = b?.max ?? "";
  const aMax = a?.max ?? "";
  if (aMin !== "" && (bMin === "" || compareSemver(parseCompilerVersion(aMin, "compiler_versions.min"), parseCompilerVersion(bMin, "compiler_versions.min")) > 0)) {
    out.push({ field: "compiler_versions.min", change: `raised ${bMin || "(none)"} → ${aMin}` });
  }
  if (aMax !== "" && (bMax === "" || compareSemver(parseCompilerVersion(aMax, "compiler_versions.max"), parseCompilerVersion(bMax, "compiler_versions.max")) < 0)) {
    out.push({ field: "compiler_versions.max", change: `lowered ${bMax || "(none)"} → ${aMax}` });
  }
  return out;
}
