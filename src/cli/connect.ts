import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { resolve } from "node:path";
import { RegistryService } from "../gen/openpassmarket/v1/registry_service_pb.js";
import { loadIdentity } from "../kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../kernel/wire/index.js";
import { stringFlag, type ParsedArgs } from "./args.js";

export type RegistryClient = RpcClient<(typeof RegistryService)["method"]>;

/** Flags every registry client command takes. */
export const CLIENT_FLAGS = {
  registry: { type: "string" },
  identity: { type: "string" },
} as const;

/** Runs `fn` with a client for `--registry HOST:PORT` as `--identity DIR` (or OPM_REGISTRY / OPM_IDENTITY), then closes it. */
export async function withRegistry<T>(args: ParsedArgs, fn: (client: RegistryClient) => Promise<T>): Promise<T> {
  return withService(RegistryService, args, fn);
}

/** `withRegistry` for another of the node's services (`CampaignService`, …). */
export async function withService<M extends GenServiceMethods, T>(service: GenService<M>, args: ParsedArgs, fn: (client: RpcClient<M>) => Promise<T>): Promise<T> {
  const address = stringFlag(args, "registry") ?? process.env.OPM_REGISTRY ?? "";
  const identityDir = stringFlag(args, "identity") ?? process.env.OPM_IDENTITY ?? "";
  const client = createRpcClient(service, {
    address: address === "" ? (stringFlag(args, "registry", true) as string) : address,
    identity: loadIdentity(resolve(identityDir === "" ? (stringFlag(args, "identity", true) as string) : identityDir)),
  });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
