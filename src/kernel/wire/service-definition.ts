import { fromBinary, toBinary, type DescMethod, type DescService } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** The gRPC path of a method: `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * Server-side grpc-js definition built from protobuf-es descriptors. Requests are left as
 * raw bytes: the handler wrapper parses them itself, so a malformed message becomes
 * INVALID_ARGUMENT (grpc-js would answer INTERNAL) and the exact bytes can be hashed for
 * the request signature. Responses are serialized with `toBinary`.
 */
export function serverDefinition(service: DescService, pathPrefix?: string): ServiceDefinition {
  const definition: Record<string, MethodDefinition<Uint8Array, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: pathPrefix === undefined ? methodPath(method) : `/${pathPrefix}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (bytes: Uint8Array) => Buffer.from(bytes),
      requestDeserialize: (buffer: Buffer) => buffer,
      responseSerialize: (message: unknown) => Buffer.from(toBinary(method.output, message as never)),
      responseDeserialize: (buffer: Buffer) => fromBinary(method.output, buffer),
      originalName: method.localName,
    };
  }
  return definition as ServiceDefinition;
}
