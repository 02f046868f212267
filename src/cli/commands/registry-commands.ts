import { create, toJson } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import { TOOLCHAINS } from "../../adapters/framework/toolchains.js";
import { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import {
  GetContractGraphResponseSchema,
  ListAuditEventsResponseSchema,
  DiscoverPassesResponseSchema,
  ActorSchema,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { parseCommandArgs, stringFlag, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS, withRegistry, type RegistryClient } from "../connect.js";
import { createOutput } from "../output.js";
import { keyIdOf } from "../../kernel/codec/index.js";

/** `opm admit ADAPTER`: admits a pending adapter (needs the operator identity, until the ledger decides). */
export const admitCommand: Command = {
  name: "admit",
  summary: "admit a pending adapter (operator identity)",
  usage: "opm admit ADAPTER --registry HOST:PORT --identity DIR [--reason TEXT] [--wait SECONDS] [--json]",
  help: [
    "Admits the registered adapter ADAPTER (its actor name: the common name of its identity), so that it may",
    "publish its catalog, claim jobs and sign signals. Only the operator admits, and only while no ledger genesis",
    "exists (`opm serve --admission auto`); after that, `opm ledger propose admit ADAPTER` and the governors do.",
    "Admitting a quarantined adapter lifts its quarantine. Recorded in the audit log as adapter.admit.",
    "",
    "  --registry HOST:PORT   the registry (or OPM_REGISTRY)",
    "  --identity DIR     the operator identity: the node's DATA_DIR/identities/admin (or OPM_IDENTITY)",
    "  --reason TEXT      why, kept in the audit event",
    "  --wait SECONDS     wait up to SECONDS for ADAPTER to register first (default 0: fail if it has not)",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, reason: { type: "string" }, wait: { type: "string" } });
    const adapter = args.positionals[0];
    if (adapter === undefined) throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const waitMs = wholeNumberFlag(args, "wait", 0, 0, 3600) * 1000;
    const actor = await withRegistry(args, async (c) => {
      const found = await registeredActor(c, adapter, waitMs);
      const keyId = keyIdOf(found.actor?.publicKey ?? new Uint8Array());
      return (await c.admitAdapter({ adapter, keyId, reason: stringFlag(args, "reason") ?? "" })).actor;
    });
    createOutput(args.values.json === true).result(toJson(ActorSchema, actor!), () => `admitted ${adapter}`);
    return 0;
  },
};

/** The actor `name`, asking again every 200 ms for up to `waitMs` while it is not registered yet. */
async function registeredActor(c: RegistryClient, name: string, waitMs: number) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await c.getActor({ name });
    } catch (err) {
      if (!isOpmError(err, "not_found") || Date.now() >= deadline) {
        if (isOpmError(err, "not_found") && waitMs > 0) throw new OpmError("not_found", `${err.message} (waited ${waitMs / 1000} s)`);
        throw err;
      }
      await sleep(200);
    }
  }
}

/** `--NAME N`: a whole number in min..max, `fallback` when absent; invalid_argument naming the flag otherwise. */
function wholeNumberFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const text = stringFlag(args, name);
  const v = Number(text ?? fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new OpmError("invalid_argument", `--${name}: ${JSON.stringify(text)} is not a whole number in ${min}..${max}`);
  return v;
}

/** `opm discover`: PassSpecs matching filters. */
export const discoverCommand: Command = {
  name: "discover",
  summary: "find PassSpecs by compiler, version, level and invariants",
  usage: `opm discover --registry HOST:PORT --identity DIR [--compiler ${TOOLCHAINS.map((d) => d.compiler).join("|")}] [--compiler-version V] [--prefix P] [--invariant I]… [--json]`,
  help: [
    "Lists the PassSpecs adapters have published (one per pass, flag, setting or level their installed compiler",
    "offers), as name@version with the start of its content id. Filters combine; none lists everything.",
    "",
    "  --registry HOST:PORT --identity DIR   the registry and who asks (or OPM_REGISTRY, OPM_IDENTITY)",
    "  --compiler C       only this compiler's passes",
    "  --compiler-version V   only specs for this exact compiler version (14.0.6, 12.2.0, 0.112.3)",
    "  --prefix P         only passes whose name starts with P (loop-, -ftree-, has_)",
    "  --invariant I      only specs that claim invariant I (interface, cfg, semantics); repeat to require several",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      ...CLIENT_FLAGS, compiler: { type: "string" }, "compiler-version": { type: "string" }, prefix: { type: "string" }, invariant: { type: "string", multiple: true },
    });
    const compilerName = stringFlag(args, "compiler");
    const compiler = compilerName === undefined ? 0 : Compiler[compilerName.toUpperCase() as keyof typeof Compiler];
    if (compiler === undefined) throw new OpmError("invalid_argument", `--compiler: unknown value ${JSON.stringify(compilerName)}; expected llvm, gcc or cranelift`);
    const response = await withRegistry(args, async (c) => {
      const nodes = [];
      let pageToken = "";
      do {
        const page = await c.discoverPasses({
          compiler, compilerVersion: stringFlag(args, "compiler-version") ?? "", namePrefix: stringFlag(args, "prefix") ?? "",
          invariants: (args.values.invariant as string[] | undefined) ?? [], pageToken, pageSize: 1000,
        });
        nodes.push(...page.nodes);
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      return nodes;
    });
    createOutput(args.values.json === true).result(
      toJson(DiscoverPassesResponseSchema, { $typeName: "openpassmarket.v1.DiscoverPassesResponse", nodes: response, nextPageToken: "" }),
      () => response.map((n) => `${n.ref}  (${n.id.slice(0, 12)})`).join("\n") || "no matching passes",
    );
    return 0;
  },
};

/** `opm graph [ROOT]`: the contract graph. */
export const graphCommand: Command = {
  name: "graph",
  summary: "print the contract graph (whole, or around ROOT)",
  usage: "opm graph [ROOT] --registry HOST:PORT --identity DIR [--depth N] [--json]",
  help: [
    "Prints the contract graph: how many contracts and edges, then each edge (at most 200 in the text form; all",
    "with --json) as `FROM -KIND-> TO`, KIND one of implements, requires, supersedes, conflicts-with.",
    "",
    "  ROOT               a contract (name@version or content id) to center on; none: the whole graph",
    "  --registry HOST:PORT --identity DIR   the registry and who asks (or OPM_REGISTRY, OPM_IDENTITY)",
    "  --depth N          hops from ROOT (default 1)",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, depth: { type: "string" } });
    const response = await withRegistry(args, (c) => c.getContractGraph({ root: args.positionals[0] ?? "", depth: wholeNumberFlag(args, "depth", 1, 1, 1000) }));
    const graph = response.graph;
    const refOf = new Map(graph?.nodes.map((n) => [n.id, n.ref]));
    createOutput(args.values.json === true).result(toJson(GetContractGraphResponseSchema, response), () =>
      [`${graph?.nodes.length ?? 0} contracts, ${graph?.edges.length ?? 0} edges`,
        ...(graph?.edges ?? []).slice(0, 200).map((e) => `${refOf.get(e.from)} -${["?", "implements", "requires", "supersedes", "conflicts-with"][e.kind]}-> ${refOf.get(e.to)}`)].join("\n"));
    return 0;
  },
};

/** `opm audit`: the node's audit events. */
export const auditCommand: Command = {
  name: "audit",
  summary: "list audit events (all, or those about given jobs, signals, problems, actors)",
  usage: "opm audit --registry HOST:PORT --identity DIR [--after SEQ] [--limit N] [--newest] [--object ID]… [--json]",
  help: [
    "Lists the registry's audit log: one event per state change, in the transaction that made it (actor, action,",
    "object, detail). One line per event: #SEQUENCE TIME ACTOR ACTION OBJECT DETAIL, SHA-256 ids shortened to",
    "16 hex digits (--json has them whole). Actions include problem.submit, jobs.enqueue, jobs.claim,",
    "signal.submit (the signal's id; its problem, achieved and baseline metric), job.complete (the job and the signal",
    "it produced), job.fail, job.dead_letter, adapter.register, adapter.admit, adapter.quarantine, spot_check.*, ledger.*.",
    "",
    "  --registry HOST:PORT --identity DIR   the registry and who asks (or OPM_REGISTRY, OPM_IDENTITY)",
    "  --after SEQ        only events after sequence number SEQ",
    "  --limit N          at most N events, 1..1000 (default 100): the oldest ones, or with --newest the latest",
    "  --newest           the latest N events instead of the oldest (still printed oldest first)",
    "  --object ID        only events whose object or detail names ID (a job, signal, problem or actor; a prefix of",
    "                     8 or more characters is enough, e.g. the 16 digits shown); repeat for several. The log is",
    "                     read from --after to its end to find them: `opm optimize` prints bestJobId and bestSignalId",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, after: { type: "string" }, limit: { type: "string" }, newest: { type: "boolean" }, object: { type: "string", multiple: true } });
    const limit = wholeNumberFlag(args, "limit", 100, 1, 1000);
    const after = stringFlag(args, "after") ?? "0";
    if (!/^\d{1,19}$/.test(after)) throw new OpmError("invalid_argument", `--after: ${JSON.stringify(after)} is not a sequence number`);
    const objects = (args.values.object as string[] | undefined) ?? [];
    for (const o of objects) if (o.length < 8) throw new OpmError("invalid_argument", `--object: ${JSON.stringify(o)} is shorter than 8 characters`);
    const newest = args.values.newest === true;
    const events = await withRegistry(args, async (c) => {
      if (objects.length === 0) return (await c.listAuditEvents({ afterSequence: BigInt(after), limit, newest })).events;
      // ListAuditEvents has no filter: read the log in pages from --after and keep the events that name an object.
      const names = (text: string) => text.split(/\s+/).some((word) => objects.some((o) => word.startsWith(o)));
      const found = [];
      for (let from = BigInt(after); ;) {
        const page = (await c.listAuditEvents({ afterSequence: from, limit: 1000 })).events;
        found.push(...page.filter((e) => names(e.object) || names(e.detail)));
        if (page.length < 1000) break;
        from = page[page.length - 1]!.sequence;
      }
      return newest ? found.slice(-limit) : found.slice(0, limit);
    });
    const response = create(ListAuditEventsResponseSchema, { events });
    createOutput(args.values.json === true).result(toJson(ListAuditEventsResponseSchema, response), () =>
      events.map((e) => shortenIds(`#${e.sequence} ${new Date(Number(e.atMs)).toISOString()} ${e.actor} ${e.action} ${e.object} ${e.detail}`)).join("\n")
        || "no matching events");
    return 0;
  },
};

/** Shortens every SHA-256 hex id in `line` to its first 16 digits and `…`. */
function shortenIds(line: string): string {
  return line.replace(/\b([0-9a-f]{16})[0-9a-f]{48}\b/g, "$1…");
}
