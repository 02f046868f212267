import { create } from "@bufbuild/protobuf";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { OpmError } from "../../kernel/errors/index.js";
import {
  AdmitAdapterResponseSchema,
  GetActorResponseSchema,
  RegisterAdapterResponseSchema,
  RegisterParticipantResponseSchema,
  ActorStatus,
  RegistryService,
  type Actor,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { bindMethods, type CallContext, type HandlerEnv, type MethodImpl } from "../rpc/index.js";
import { findActor, setActorStatus } from "./actor-repository.js";
import type { ActorKeys } from "./actor-keys.js";
import { admitAdapter, registerAdapter, registerParticipant, registrationKey, requireCaller } from "./actors.js";
import type { AdmissionAuthority } from "./admission-authority.js";
import type { ProblemCache } from "./problem-cache.js";
import { listAuditEvents } from "./audit.js";
import { contractGraph, discoverPasses } from "./contract-queries.js";
import { publishContracts } from "./contracts.js";
import { listMarketSignals } from "./market-signals.js";
import { getProblem, submitProblem } from "./problems.js";
import { listSignals, submitSignal } from "./signals.js";
import { validateActorName } from "../../kernel/pki/index.js";
import type { SignatureVerifier } from "../../kernel/codec/index.js";
import { addMember, auditScopeOf, listMembers, redactAuditEvents, removeMember } from "../access/index.js";
import { buildPlanSetRpc, getPlanSetRpc } from "../plansets/index.js";
import type { Ed25519KeyPair } from "../../kernel/codec/index.js";
import { DEFAULT_RELEASE_POLICY, getPrivacyBudget, listReleasesRpc, releaseResult, type ReleasePolicies } from "../privacy/index.js";

/** Without a ledger: the built-in default privacy policy. */
const BUILTIN_POLICIES: ReleasePolicies = { policyFor: async () => DEFAULT_RELEASE_POLICY };

type Methods = (typeof RegistryService)["method"];

async function isAdmitted(ctx: CallContext, admission: AdmissionAuthority, actor: Actor): Promise<boolean> {
  try {
    await admission.requireAdmitted(ctx, actor);
    return true;
  } catch (err) {
    if (err instanceof OpmError && err.code === "permission_denied") return false;
    throw err;
  }
}
type Impl = { [K in keyof Methods]: MethodImpl<Methods[K]["input"], Methods[K]["output"]> };

/** Per-node state the registry's methods share. */
export interface RegistryDeps {
  keys: ActorKeys;
  admission: AdmissionAuthority;
  problems: ProblemCache;
  /** Checks signed objects' signatures (a worker pool on the node). */
  verifier: SignatureVerifier;
  /** The privacy policy in effect per problem family (the ledger's); default: the built-in one. */
  policies?: ReleasePolicies;
  /** The node's Ed25519 key, which signs the plan sets it builds; without one BuildPlanSet is FAILED_PRECONDITION. */
  nodeKey?: Ed25519KeyPair;
}

/** The RegistryService methods: which mutate, who signs, and the domain function each calls. */
export function registryMethods(deps: RegistryDeps): Impl {
  return {
    registerAdapter: {
      mutates: true,
      signerKey: (_actor, req) => registrationKey(req),
      handle: async (ctx, req) => {
        const actor = await registerAdapter(ctx, deps.keys, req);
        // An admission may precede the registration (a ledger entry naming the adapter and
        // key): the stored status follows what the authority says is in effect.
        if (actor.status === ActorStatus.PENDING && (await isAdmitted(ctx, deps.admission, actor))) {
          await setActorStatus(ctx.db, actor.name, ActorStatus.ADMITTED, ctx.now);
          ctx.afterCommit(() => deps.keys.forget(actor.name));
          actor.status = ActorStatus.ADMITTED;
        }
        return create(RegisterAdapterResponseSchema, { actor });
      },
    },
    registerParticipant: {
      mutates: true,
      signerKey: (_actor, req) => registrationKey(req),
      handle: async (ctx, req) => create(RegisterParticipantResponseSchema, { actor: await registerParticipant(ctx, deps.keys, req) }),
    },
    admitAdapter: {
      mutates: true,
      handle: async (ctx, req) => create(AdmitAdapterResponseSchema, { actor: await admitAdapter(ctx, deps.admission, deps.keys, req) }),
    },
    getActor: {
      mutates: false,
      handle: async (ctx, req) => {
        validateActorName(req.name, "name");
        const actor = await findActor(ctx.db, req.name);
        if (actor === undefined) throw new OpmError("not_found", `actor ${req.name} is not registered`, { field: "name" });
        return create(GetActorResponseSchema, { actor });
      },
    },
    publishContracts: {
      mutates: true,
      handle: async (ctx, req) => {
        const caller = await findActor(ctx.db, ctx.actor);
        if (caller?.kind !== "admin") await deps.admission.requireAdmitted(ctx, await requireCaller(ctx, "adapter"));
        return publishContracts(ctx, req);
      },
    },
    discoverPasses: { mutates: false, handle: discoverPasses },
    getContractGraph: { mutates: false, handle: contractGraph },
    submitProblem: { mutates: true, handle: submitProblem },
    getProblem: { mutates: false, handle: getProblem },
    // Side by side: reads only cached actors and immutable problems, writes a content-addressed row.
    submitSignal: { mutates: true, sideBySide: true, handle: (ctx, req) => submitSignal(ctx, deps, req) },
    listSignals: { mutates: false, handle: listSignals },
    // Within the caller's scope; details about private problems it may not read are withheld.
    listAuditEvents: {
      mutates: false,
      handle: async (ctx, req) => {
        const page = await listAuditEvents(ctx, req, await auditScopeOf(ctx));
        page.events = await redactAuditEvents(ctx, page.events);
        return page;
      },
    },
    listMarketSignals: { mutates: false, handle: (ctx, req) => listMarketSignals(ctx, deps.problems, req) },
    releaseResult: { mutates: true, handle: (ctx, req) => releaseResult(ctx, deps.policies ?? BUILTIN_POLICIES, req) },
    listReleases: { mutates: false, handle: listReleasesRpc },
    getPrivacyBudget: { mutates: false, handle: (ctx, req) => getPrivacyBudget(ctx, deps.policies ?? BUILTIN_POLICIES, req) },
    addMember: { mutates: true, handle: addMember },
    removeMember: { mutates: true, handle: removeMember },
    listMembers: { mutates: false, handle: listMembers },
    buildPlanSet: { mutates: true, handle: (ctx, req) => buildPlanSetRpc(ctx, planSetDeps(deps), req) },
    getPlanSet: { mutates: false, handle: (ctx, req) => getPlanSetRpc(ctx, planSetDeps(deps), req) },
  };
}

function planSetDeps(deps: RegistryDeps): { problems: ProblemCache; key: Ed25519KeyPair } {
  if (deps.nodeKey === undefined) throw new OpmError("failed_precondition", "this registry has no node key to sign plan sets with");
  return { problems: deps.problems, key: deps.nodeKey };
}

/** Binds every method to the shared handler machinery for grpc-js. */
export function registryImplementation(deps: RegistryDeps, env: HandlerEnv): UntypedServiceImplementation {
  return bindMethods(RegistryService, registryMethods(deps) as never, env);
}
