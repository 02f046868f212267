import { create } from "@bufbuild/protobuf";
import { canonicalBytes, contentId } from "../../kernel/codec/index.js";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import {
  ContractDecl_Kind,
  ContractDeclSchema,
  ContractEdge_Kind,
  PassLevel,
  PassParameter_Kind,
  PassSpecSchema,
  type ContractDecl,
  type ContractNode,
  type PassSpec,
} from "../../gen/openpassmarket/v1/contracts_pb.js";
import type { PublishContractsRequest, PublishContractsResponse } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { PublishContractsResponseSchema } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";
import { breakingChanges } from "./contract-compatibility.js";
import { contractNodeFromRow, findContractByRef, latestContract, sortableVersion, type ContractRow } from "./contract-repository.js";
import { compareSemver, compilerName, formatSemver, parseCompilerVersion, parseSemver, type Semver } from "../../kernel/plan/index.js";
import { requireEnum, requireText } from "./validate.js";

// Past the first character, upper case and `=` are allowed: a PassSpec's contract name is
// `<compiler>/<pass as the compiler spells it>`, and GCC spells `-Os`, `-falign-loops=`.
const CONTRACT_NAME = /^[a-z0-9][a-zA-Z0-9._+/=-]{0,127}$/;

/** The contract name of a PassSpec: `<compiler>/<pass>`. */
export function passContractName(spec: PassSpec): string {
  return `${compilerName(spec.compiler)}/${spec.name}`;
}

/** What one publication of one contract turns into before it is stored. */
interface Candidate {
  field: string;
  kind: "pass-spec" | "ir-dialect" | "adapter-interface";
  name: string;
  version: Semver;
  body: Uint8Array;
  spec?: PassSpec;
  refs: Array<{ field: string; ref: string; edge: ContractEdge_Kind }>;
}

/**
 * Publishes contract declarations, then PassSpecs, in one transaction. Re-publishing
 * identical content is a no-op; a new version must be newer than the latest, and a
 * PassSpec with a breaking change needs a major bump (FAILED_PRECONDITION naming the
 * field otherwise). References resolve to existing contracts (NOT_FOUND otherwise);
 * the previous version gets a `supersedes` edge from the new one.
 */
export async function publishContracts(ctx: CallContext, req: PublishContractsRequest): Promise<PublishContractsResponse> {
  if (req.passSpecs.length + req.decls.length === 0) throw invalidArgument("pass_specs", "nothing to publish");
  if (req.passSpecs.length + req.decls.length > 5000) throw invalidArgument("pass_specs", "at most 5000 contracts per call");
  const candidates = [
    ...req.decls.map((d, i) => declCandidate(d, `decls[${i}]`)),
    ...req.passSpecs.map((s, i) => specCandidate(s, `pass_specs[${i}]`)),
  ];
  const nodes: ContractNode[] = [];
  let created = 0;
  for (const c of candidates) {
    const { row, isNew } = await store(ctx, c);
    nodes.push(contractNodeFromRow(row));
    if (isNew) created++;
  }
  if (created > 0) await ctx.audit("contracts.publish", `${created} contracts`, summarize(nodes.map((n) => n.ref)));
  return create(PublishContractsResponseSchema, { nodes, created });
}

async function store(ctx: CallContext, c: Candidate): Promise<{ row: ContractRow; isNew: boolean }> {
  const ref = `${c.name}@${formatSemver(c.version)}`;
  const id = contentId(c.body);
  const existing = await findContractByRef(ctx.db, ref);
  if (existing !== undefined) {
    if (existing.id === id) return { row: existing, isNew: false };
    throw new OpmError("failed_precondition", `field \`${c.field}\`: ${ref} is already published with different content; publish a new version`, { field: c.field });
  }
  const previous = await latestContract(ctx.db, c.name);
  if (previous !== undefined) {
    const prevVersion = { major: previous.major, minor: previous.minor, patch: previous.patch };
    if (compareSemver(c.version, prevVersion) <= 0) {
      throw new OpmError("failed_precondition", `field \`${c.field}.version\`: ${formatSemver(c.version)} is not newer than the latest ${previous.ref}`, { field: `${c.field}.version` });
    }
    if (c.spec !== undefined && previous.kind === "pass-spec" && c.version.major === prevVersion.major) {
      const before = contractNodeFromRow(previous).body.value as PassSpec;
      const breaking = breakingChanges(before, c.spec);
      if (breaking.length > 0) {
        const first = breaking[0]!;
        throw new OpmError(
          "failed_precondition",
          `field \`${c.field}.${first.field}\`: ${first.change} — a breaking change from ${previous.ref} needs a major version bump (${formatSemver(c.version)} keeps major ${prevVersion.major})`,
          { field: `${c.field}.${first.field}` },
        );
      }
    }
  }
  const targets: Array<{ to: string; kind: ContractEdge_Kind }> = [];
  for (const r of c.refs) targets.push({ to: (await resolveRef(ctx, r.ref, r.field)).id, kind: r.edge });
  if (previous !== undefined) targets.push({ to: previous.id, kind: ContractEdge_Kind.SUPERSEDES });

  const spec = c.spec;
  const cv = spec?.compilerVersions;
  const row: ContractRow = {
    id, ref, kind: c.kind, name: c.name, version: formatSemver(c.version),
    major: c.version.major, minor: c.version.minor, patch: c.version.patch,
    body: c.body, publisher: ctx.actor, created_at_ms: ctx.now, superseded: false,
    compiler: spec?.compiler ?? 0, level: spec?.level ?? 0, pass_name: spec?.name ?? "",
    compiler_min: cv?.min ? sortableVersion(parseCompilerVersion(cv.min, "compiler_versions.min")) : "",
    compiler_max: cv?.max ? sortableVersion(parseCompilerVersion(cv.max, "compiler_versions.max")) : "",
    invariants: spec?.invariants ?? [],
  };
  // Two adapters publishing the same catalog at once (a server has two commit lanes): the
  // second insert waits for the first transaction, then finds the same content-addressed row.
  const inserted = await ctx.db.insertInto("contracts").values(row).onConflict((oc) => oc.column("id").doNothing()).returning("id").executeTakeFirst();
  if (inserted === undefined) return { row: (await findContractByRef(ctx.db, ref)) ?? row, isNew: false };
  if (previous !== undefined) await ctx.db.updateTable("contracts").set({ superseded: true }).where("id", "=", previous.id).execute();
  for (const t of targets) {
    await ctx.db.insertInto("contract_edges").values({ from_id: id, to_id: t.to, kind: t.kind })
      .onConflict((oc) => oc.doNothing()).execute();
  }
  return { row, isNew: true };
}

/** Resolves `name@x.y.z` exactly, or `name@N` to the newest version with major N. */
async function resolveRef(ctx: CallContext, ref: string, field: string): Promise<ContractRow> {
  const at = ref.lastIndexOf("@");
  const name = ref.slice(0, at);
  const version = ref.slice(at + 1);
  if (at <= 0 || !CONTRACT_NAME.test(name) || !/^\d{1,9}(\.\d{1,9}\.\d{1,9})?$/.test(version)) {
    throw invalidArgument(field, `${JSON.stringify(ref)} is not a contract reference (name@MAJOR or name@MAJOR.MINOR.PATCH)`);
  }
  const row = version.includes(".") ? await findContractByRef(ctx.db, ref) : await latestContract(ctx.db, name, Number(version));
  if (row === undefined) throw new OpmError("not_found", `field \`${field}\`: unknown contract ${ref}`, { field });
  return row;
}

function declCandidate(d: ContractDecl, field: string): Candidate {
  requireEnum(d.kind, ContractDecl_Kind, `${field}.kind`);
  if (!CONTRACT_NAME.test(d.name)) throw invalidArgument(`${field}.name`, `${JSON.stringify(d.name)} must match ${CONTRACT_NAME.source}`);
  return {
    field,
    kind: d.kind === ContractDecl_Kind.IR_DIALECT ? "ir-dialect" : "adapter-interface",
    name: d.name,
    version: parseSemver(d.version, `${field}.version`),
    body: canonicalBytes(ContractDeclSchema, d),
    refs: edgesOf(d, field),
  };
}

function specCandidate(s: PassSpec, field: string): Candidate {
  requireText(s.name, `${field}.name`, 200);
  requireEnum(s.compiler, Compiler, `${field}.compiler`);
  requireEnum(s.level, PassLevel, `${field}.level`);
  const seen = new Set<string>();
  s.parameters.forEach((p, i) => {
    const pf = `${field}.parameters[${i}]`;
    requireText(p.name, `${pf}.name`, 128);
    if (seen.has(p.name)) throw invalidArgument(`${pf}.name`, `duplicate parameter ${JSON.stringify(p.name)}`);
    seen.add(p.name);
    requireEnum(p.kind, PassParameter_Kind, `${pf}.kind`);
    if (p.kind === PassParameter_Kind.INT && p.min > p.max) throw invalidArgument(`${pf}.min`, `${p.min} > max ${p.max}`);
    if (p.kind === PassParameter_Kind.ENUM && p.values.length === 0) throw invalidArgument(`${pf}.values`, "an enum parameter needs values");
  });
  s.invariants.forEach((inv, i) => requireText(inv, `${field}.invariants[${i}]`, 64));
  if (s.compilerVersions?.min) parseCompilerVersion(s.compilerVersions.min, `${field}.compiler_versions.min`);
  if (s.compilerVersions?.max) parseCompilerVersion(s.compilerVersions.max, `${field}.compiler_versions.max`);
  const name = passContractName(s);
  if (!CONTRACT_NAME.test(name)) throw invalidArgument(`${field}.name`, `${JSON.stringify(s.name)} makes an invalid contract name ${name}`);
  return {
    field, kind: "pass-spec", name, spec: s,
    version: parseSemver(s.version, `${field}.version`),
    body: canonicalBytes(PassSpecSchema, s),
    refs: edgesOf(s, field),
  };
}

function edgesOf(x: { implements: string[]; requires: string[]; conflictsWith: string[] }, field: string): Candidate["refs"] {
  return [
    ...x.implements.map((ref, i) => ({ field: `${field}.implements[${i}]`, ref, edge: ContractEdge_Kind.IMPLEMENTS })),
    ...x.requires.map((ref, i) => ({ field: `${field}.requires[${i}]`, ref, edge: ContractEdge_Kind.REQUIRES })),
    ...x.conflictsWith.map((ref, i) => ({ field: `${field}.conflicts_with[${i}]`, ref, edge: ContractEdge_Kind.CONFLICTS_WITH })),
  ];
}

/** `a b c … (+N more)`: a short audit detail for a long list. */
function summarize(refs: string[], max = 5): string {
  return refs.length <= max ? refs.join(" ") : `${refs.slice(0, max).join(" ")} … (+${refs.length - max} more)`;
}
