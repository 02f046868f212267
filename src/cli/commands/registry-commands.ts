import { toJson } from "@bufbuild/protobuf";
import { OpmError } from "../../kernel/errors/index.js";
import { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import {
  GetContractGraphResponseSchema,
  ListAuditEventsResponseSchema,
  DiscoverPassesResponseSchema,
  ActorSchema,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS, withRegistry } from "../connect.js";
import { createOutput } from "../output.js";
import { keyIdOf } from "../../kernel/codec/index.js";

/** `opm admit ADAPTER`: admits a pending adapter (needs the operator identity, until the ledger decides). */
export const admitCommand: Command = {
  name: "admit",
  summary: "admit a pending adapter (operator identity)",
  usage: "opm admit ADAPTER --registry HOST:PORT --identity DIR [--reason TEXT] [--json]",
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, reason: { type: "string" } });
    const adapter = args.positionals[0];
    if (adapter === undefined) throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const actor = await withRegistry(args, async (c) => {
      const found = await c.getActor({ name: adapter });
      const keyId = keyIdOf(found.actor?.publicKey ?? new Uint8Array());
      return (await c.admitAdapter({ adapter, keyId, reason: stringFlag(args, "reason") ?? "" })).actor;
    });
    createOutput(args.values.json === true).result(toJson(ActorSchema, actor!), () => `admitted ${adapter}`);
    return 0;
  },
};

/** `opm discover`: PassSpecs matching filters. */
export const discoverCommand: Command = {
  name: "discover",
  summary: "find PassSpecs by compiler, version, level and invariants",
  usage: "opm discover --registry HOST:PORT --identity DIR [--compiler llvm|gcc|cranelift] [--compiler-version V] [--prefix P] [--invariant I]… [--json]",
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
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, depth: { type: "string" } });
    const response = await withRegistry(args, (c) => c.getContractGraph({ root: args.positionals[0] ?? "", depth: Number(stringFlag(args, "depth") ?? 1) }));
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
  summary: "list audit events",
  usage: "opm audit --registry HOST:PORT --identity DIR [--after SEQ] [--limit N] [--newest] [--json]",
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, after: { type: "string" }, limit: { type: "string" }, newest: { type: "boolean" } });
    const response = await withRegistry(args, (c) => c.listAuditEvents({
      afterSequence: BigInt(stringFlag(args, "after") ?? 0), limit: Number(stringFlag(args, "limit") ?? 100), newest: args.values.newest === true,
    }));
    createOutput(args.values.json === true).result(toJson(ListAuditEventsResponseSchema, response), () =>
      response.events.map((e) => `#${e.sequence} ${new Date(Number(e.atMs)).toISOString()} ${e.actor} ${e.action} ${e.object} ${e.detail}`).join("\n"));
    return 0;
  },
};
