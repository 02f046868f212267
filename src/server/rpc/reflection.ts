import { create, createRegistry, fromBinary, toBinary, type DescFile, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { status, type ServerDuplexStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";

/**
 * gRPC server reflection (v1, and the identical v1alpha wire protocol), answered from the
 * protobuf-es descriptors the server was built from, so `grpcurl` can list and call it.
 */
export function reflectionImplementation(files: DescFile[], serviceNames: string[]): UntypedServiceImplementation {
  // Every file reachable through imports, so symbols of dependencies resolve too.
  const all = [...new Map(files.flatMap(closure).map((f) => [f.proto.name, f] as const)).values()];
  const registry = createRegistry(...all);
  const byName = new Map(all.map((f) => [f.proto.name, f] as const));
  const encode = (file: DescFile): Uint8Array[] => closure(file).map((f) => toBinary(FileDescriptorProtoSchema, f.proto));

  const answer = (raw: Buffer): ServerReflectionResponse => {
    const request = fromBinary(ServerReflectionRequestSchema, raw);
    const reply = (messageResponse: MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"]) =>
      create(ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
    const notFound = (what: string) =>
      reply({ case: "errorResponse", value: { errorCode: status.NOT_FOUND, errorMessage: `${what} not found` } });
    const files = (file: DescFile | undefined, what: string) =>
      file === undefined ? notFound(what) : reply({ case: "fileDescriptorResponse", value: { fileDescriptorProto: encode(file) } });

    const m = request.messageRequest;
    switch (m.case) {
      case "listServices":
        return reply({ case: "listServicesResponse", value: { service: serviceNames.map((name) => ({ name })) } });
      case "fileByFilename":
        return files(byName.get(m.value), `file ${m.value}`);
      case "fileContainingSymbol": {
        const symbol = m.value.replace(/^\./, "");
        const owner = registry.get(symbol) ?? registry.get(symbol.slice(0, symbol.lastIndexOf(".")));
        const file = owner?.file;
        return files(file, `symbol ${symbol}`);
      }
      case "allExtensionNumbersOfType":
        return reply({ case: "allExtensionNumbersResponse", value: { baseTypeName: m.value, extensionNumber: [] } });
      case "fileContainingExtension":
        return notFound(`extension ${m.value.containingType}#${m.value.extensionNumber}`);
      default:
        return reply({ case: "errorResponse", value: { errorCode: status.INVALID_ARGUMENT, errorMessage: "empty reflection request" } });
    }
  };

  const impl = {
    serverReflectionInfo: (call: ServerDuplexStream<Buffer, ServerReflectionResponse>) => {
      call.on("data", (raw: Buffer) => {
        try {
          call.write(answer(raw));
        } catch (err) {
          call.emit("error", { code: status.INVALID_ARGUMENT, details: `bad reflection request: ${(err as Error).message}` });
        }
      });
      call.on("end", () => call.end());
    },
  };
  return impl as unknown as UntypedServiceImplementation;
}

/** `file` followed by all its transitive dependencies, each once. */
function closure(file: DescFile): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (f: DescFile): void => {
    if (seen.has(f.name)) return;
    seen.set(f.name, f);
    f.dependencies.forEach(visit);
  };
  visit(file);
  return [...seen.values()];
}
