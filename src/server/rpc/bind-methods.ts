import type { DescService } from "@bufbuild/protobuf";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { unaryHandler, type HandlerEnv, type MethodImpl } from "./unary-handler.js";

/**
 * Binds a table of method implementations (keyed by the methods' local names) to the
 * shared unary handler machinery; every method of `service` must have one.
 */
export function bindMethods(service: DescService, impls: Record<string, MethodImpl<never, never>>, env: HandlerEnv): UntypedServiceImplementation {
  env.access?.requireRules(service.typeName, service.methods.map((m) => m.name));
  const out: Record<string, unknown> = {};
  for (const method of service.methods) {
    const impl = impls[method.localName];
    if (impl === undefined) throw new Error(`no implementation for ${service.typeName}.${method.name}`);
    out[method.localName] = unaryHandler(method as never, impl, env);
  }
  return out as UntypedServiceImplementation;
}
