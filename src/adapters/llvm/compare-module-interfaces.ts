import { isKnownExternal } from "../verifier/known-externals.js";
import { ConstantComparison } from "./compare-llvm-constants.js";
import { isExported, type ModuleInterface } from "./read-module-interface.js";

export { isExported };

/**
 * The interface differences between the module before and after a transform, one
 * sentence each naming the symbol and both values; empty when the interface holds:
 * - target triple and data layout unchanged;
 * - every exported function, global and alias is still defined, with the same kind,
 *   linkage and signature (types only, by meaning: `i8*` ≡ `ptr`, named types by body),
 *   and no new one is exported;
 * - exported globals keep their constness and initial value, aliases their aliasee, by
 *   value (`ConstantComparison`: `i32 0` ≡ `i64 0` as a GEP index, bitcast chains,
 *   `zeroinitializer`, the local constants they point to…);
 * - no new undefined external symbol beyond `isKnownExternal` (intrinsics, libc).
 */
export function compareModuleInterfaces(before: ModuleInterface, after: ModuleInterface): string[] {
  const problems: string[] = [];
  const constants = new ConstantComparison(before, after);
  if (before.triple !== after.triple) problems.push(`target triple ${q(before.triple)} became ${q(after.triple)}`);
  if (before.datalayout !== after.datalayout) problems.push(`target datalayout ${q(before.datalayout)} became ${q(after.datalayout)}`);
  for (const b of before.symbols.values()) {
    if (!isExported(b)) continue;
    const a = after.symbols.get(b.name);
    if (a === undefined || !a.defined) {
      problems.push(`exported ${b.kind} @${b.name} (line ${b.line}) is ${a === undefined ? "gone" : "no longer defined"}`);
      continue;
    }
    if (a.kind !== b.kind) problems.push(`@${b.name} was a ${b.kind}, is now a ${a.kind}`);
    if (a.linkage !== b.linkage) problems.push(`@${b.name}: linkage ${b.linkage} became ${a.linkage}`);
    if (!constants.sameTypeText(b.type, a.type)) problems.push(`@${b.name}: ${b.kind === "function" ? "signature" : "type"} \`${b.type}\` became \`${a.type}\``);
    if (b.kind !== "function" && a.constness !== b.constness) problems.push(`@${b.name}: ${b.constness} became ${a.constness}`);
    const changed = b.kind === "function" ? undefined : constants.initializerDifference(b, a);
    if (changed !== undefined) {
      const what = b.kind === "alias" ? "aliasee" : "initial value";
      problems.push(`@${b.name}: ${what} \`${clip(b.initializer)}\` became \`${clip(a.initializer)}\`${changed === "" ? "" : ` — ${changed}`}`);
    }
  }
  for (const a of after.symbols.values()) {
    const b = before.symbols.get(a.name);
    if (isExported(a) && (b === undefined || !isExported(b))) problems.push(`@${a.name} is newly exported (${a.linkage} ${a.kind}, line ${a.line})`);
    if (!a.defined && (b === undefined || b.defined) && !isKnownExternal(a.name)) {
      problems.push(`new reference to undefined external symbol @${a.name} (line ${a.line}), not an intrinsic or known C library symbol`);
    }
  }
  return problems;
}

function q(v: string | undefined): string {
  return v === undefined ? "(none)" : JSON.stringify(v);
}

function clip(s: string | undefined, max = 120): string {
  const t = s ?? "";
  return t.length <= max ? t : `${t.slice(0, max)}…`;
}
