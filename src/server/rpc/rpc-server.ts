import type { DescFile, DescService } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { file_grpc_health_v1_health, Health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection, ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { HealthService } from "./health.js";
import { reflectionImplementation } from "./reflection.js";
import { serverDefinition } from "../../kernel/wire/service-definition.js";

export interface RpcServerOptions {
  /** Host to bind (`127.0.0.1`, `::1`, `0.0.0.0`). */
  host: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** PEM CA that client certificates must chain to, and the server's certificate and key. */
  tls: { caPem: string; certPem: string; keyPem: string };
  services: Array<{ service: DescService; implementation: UntypedServiceImplementation }>;
  /** Files served by reflection (the services' files; dependencies are added). */
  files: DescFile[];
  /** Largest request accepted, bytes; a larger one gets RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
}

export interface RpcServer {
  /** `host:port` with the real port. */
  address: string;
  port: number;
  /** Stops accepting calls, lets running calls finish (up to `graceMs`), then closes. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Starts a grpc-js server that speaks only mutual TLS (client certificates are required
 * and checked against the CA), with health checking and reflection beside the services.
 */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes * 4,
    "grpc.keepalive_permit_without_calls": 1,
  });
  const names = options.services.map((s) => s.service.typeName);
  for (const { service, implementation } of options.services) {
    server.addService(serverDefinition(service), implementation);
  }
  const health = new HealthService(names);
  server.addService(serverDefinition(Health), health.implementation());
  const reflectionNames = [...names, Health.typeName, ServerReflection.typeName];
  const reflection = reflectionImplementation([...options.files, file_grpc_health_v1_health, file_grpc_reflection_v1_reflection], reflectionNames);
  server.addService(serverDefinition(ServerReflection), reflection);
  server.addService(serverDefinition(ServerReflection, "grpc.reflection.v1alpha.ServerReflection"), reflection);

  const credentials = ServerCredentials.createSsl(
    Buffer.from(options.tls.caPem),
    [{ cert_chain: Buffer.from(options.tls.certPem), private_key: Buffer.from(options.tls.keyPem) }],
    true,
  );
  const bindHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${bindHost}:${options.port}`, credentials, (err, p) =>
      err ? reject(new OpmError("unavailable", `cannot listen on ${bindHost}:${options.port}: ${err.message}`, { cause: err })) : resolve(p),
    ),
  );
  return {
    address: `${bindHost}:${port}`,
    port,
    shutdown: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        health.shutdown();
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
