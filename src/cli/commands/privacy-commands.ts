import { toJson } from "@bufbuild/protobuf";
import { OpmError } from "../../kernel/errors/index.js";
import {
  GetPrivacyBudgetResponseSchema, ListMembersResponseSchema, ListReleasesResponseSchema, AddMemberResponseSchema, RemoveMemberResponseSchema,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { formatAmount, measureOf, parseAccountant, ROLES_HELP } from "./privacy-help.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS, withRegistry } from "../connect.js";
import { createOutput } from "../output.js";

const WHO = "  --registry HOST:PORT --identity DIR   the registry and who asks (or OPM_REGISTRY, OPM_IDENTITY)";
const WHO_SHORT = WHO;

function memberHelp(what: string): string {
  return [what, "", WHO_SHORT, "  --participant P    the organisation (default: the identity's own)", "  --role ROLE        lead, write, read or audit"].join("\n");
}

/** `opm budget show`: an organisation's privacy budgets. */
export const budgetCommand: Command = {
  name: "budget",
  summary: "show an organisation's privacy budgets: total, spent, remaining, accountant, policy",
  usage: "opm budget show [--participant P] [--family F] --registry HOST:PORT --identity DIR [--json]",
  subcommands: [{
    name: "show", summary: "total, spent and remaining per problem family, and the policy in effect", usage: "opm budget show [--participant P] [--family F] [--json]",
    help: ["Per problem family: accountant, total, spent, remaining, releases and the policy in effect (role audit).", "", WHO_SHORT, "  --participant P    the organisation (default: the identity's own)", "  --family F         one problem family, e.g. llvm/ir-instcount"].join("\n"),
  }],
  help: [
    "Shows the differential-privacy budgets of an organisation (a participant): per problem family",
    "(compiler/objective, e.g. llvm/ir-instcount) the accountant (pure-dp: amounts are ε; zcdp: ρ), the total the",
    "policy in effect allows, what releases spent, what remains, and the policy (a ledger entry, or the built-in",
    "default). Needs role audit in the organisation.",
    "",
    WHO,
    "  --participant P    the organisation (default: the identity's own)",
    "  --family F         one problem family (shown even before anything was spent)",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, participant: { type: "string" }, family: { type: "string" } });
    if (args.positionals[0] !== "show") throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const r = await withRegistry(args, (c) => c.getPrivacyBudget({ participant: stringFlag(args, "participant") ?? "", family: stringFlag(args, "family") ?? "" }));
    createOutput(args.values.json === true).result(toJson(GetPrivacyBudgetResponseSchema, r), () => [
      ...r.budgets.map((b) => {
        const m = measureOf(parseAccountant(b.accountant));
        return `${b.participant} ${b.family}: ${b.accountant}, spent ${m} ${formatAmount(b.spentNano)} of ${formatAmount(b.totalNano)}, ${m} ${formatAmount(b.remainingNano)} remains (${b.releases} releases; ${b.policy})`;
      }),
      r.budgets.length === 0 ? "nothing spent yet" : "",
      `policy: ${r.policy}`,
    ].filter((l) => l !== "").join("\n"));
    return 0;
  },
};

/** `opm release list`: releases made so far. */
export const releaseCommand: Command = {
  name: "release",
  summary: "list DP releases: the noised values others see of private problems' results",
  usage: "opm release list [--problem ID] [--participant P] --registry HOST:PORT --identity DIR [--json]",
  subcommands: [{
    name: "list", summary: "releases, oldest first", usage: "opm release list [--problem ID] [--participant P] [--json]",
    help: ["Each release: problem, signal, quantity = noised value, clamp range, mechanism and cost. Public.", "", WHO_SHORT, "  --problem ID       only this problem's releases", "  --participant P    only this organisation's"].join("\n"),
  }],
  help: [
    "Lists releases: for a private problem's result (a signal), its improvement over the baseline in basis points,",
    "clamped to the policy's range and noised (discrete Laplace or Gaussian), made once and charged to its owner's",
    "privacy budget. Releases are public: anyone may list them.",
    "",
    WHO,
    "  --problem ID       only this problem's releases",
    "  --participant P    only this organisation's",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, problem: { type: "string" }, participant: { type: "string" } });
    if (args.positionals[0] !== "list") throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const r = await withRegistry(args, (c) => c.listReleases({ problemId: stringFlag(args, "problem") ?? "", participant: stringFlag(args, "participant") ?? "" }));
    createOutput(args.values.json === true).result(toJson(ListReleasesResponseSchema, r), () => r.releases.map((x) =>
      `${x.problemId.slice(0, 12)} signal ${x.subject.slice(0, 12)}: ${x.quantity} = ${x.value} in [${x.clampMin}, ${x.clampMax}], ${x.mechanism}, cost ${measureOf(parseAccountant(x.accountant))} ${formatAmount(x.costNano)} (${x.participant} ${x.family})`,
    ).join("\n") || "no releases");
    return 0;
  },
};

/** `opm member add|remove|list`: an organisation's member actors and their roles. */
export const memberCommand: Command = {
  name: "member",
  summary: "manage an organisation's member actors and their roles (lead)",
  usage: "opm member add|remove ACTOR --role lead|write|read|audit [--participant P] | list [--participant P]  --registry HOST:PORT --identity DIR [--json]",
  subcommands: [
    { name: "add", summary: "give a registered actor a role in the organisation", usage: "opm member add ACTOR --role ROLE [--participant P] [--json]", help: memberHelp("Gives ACTOR (a registered participant identity) ROLE in the organisation (role lead); audited as member.add.") },
    { name: "remove", summary: "take a role from a member", usage: "opm member remove ACTOR --role ROLE [--participant P] [--json]", help: memberHelp("Takes ROLE from ACTOR (role lead); audited as member.remove.") },
    { name: "list", summary: "the organisation's members and their roles", usage: "opm member list [--participant P] [--json]", help: memberHelp("Lists the organisation's members and roles (role lead); the participant itself holds every role.") },
  ],
  help: [
    ROLES_HELP,
    "Members are participant identities (certificates from the node's CA, registered); the participant itself holds",
    "every role of its organisation. Managing members needs role lead. Changes are audited (member.add, member.remove).",
    "",
    WHO,
    "  --participant P    the organisation (default: the identity's own)",
    "  --role ROLE        lead, write, read or audit",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, participant: { type: "string" }, role: { type: "string" } });
    const [sub, actor] = args.positionals;
    const participant = stringFlag(args, "participant") ?? "";
    const out = createOutput(args.values.json === true);
    if (sub === "list") {
      const r = await withRegistry(args, (c) => c.listMembers({ participant }));
      out.result(toJson(ListMembersResponseSchema, r), () => r.members.map((m) => `${m.actor}  ${m.role}  (added by ${m.addedBy})`).join("\n") || "no members besides the participant itself");
      return 0;
    }
    if ((sub !== "add" && sub !== "remove") || actor === undefined) throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const role = stringFlag(args, "role", true);
    if (sub === "add") {
      const r = await withRegistry(args, (c) => c.addMember({ participant, actor, role }));
      out.result(toJson(AddMemberResponseSchema, r), () => `${actor} ${r.created ? "now holds" : "already held"} role ${role} in ${r.membership?.participant}`);
    } else {
      const r = await withRegistry(args, (c) => c.removeMember({ participant, actor, role }));
      out.result(toJson(RemoveMemberResponseSchema, r), () => r.removed ? `${actor} no longer holds role ${role}` : `${actor} did not hold role ${role}`);
    }
    return 0;
  },
};
