import { create } from "@bufbuild/protobuf";
import { status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as Serving,
  HealthCheckResponseSchema,
  type HealthCheckResponse,
} from "../../gen/grpc/health/v1/health_pb.js";
import { fromBinary } from "@bufbuild/protobuf";

/**
 * `grpc.health.v1.Health`: SERVING for the server as a whole ("") and for every
 * registered service while the server runs; NOT_SERVING once shutdown starts.
 */
export class HealthService {
  private serving = true;
  private readonly watchers = new Set<ServerWritableStream<Buffer, HealthCheckResponse>>();

  constructor(private readonly services: readonly string[]) {}

  /** Flips every status to NOT_SERVING and tells the watchers (called on shutdown). */
  shutdown(): void {
    this.serving = false;
    for (const w of this.watchers) w.write(create(HealthCheckResponseSchema, { status: Serving.NOT_SERVING }));
  }

  implementation(): UntypedServiceImplementation {
    const impl = {
      check: (call: ServerUnaryCall<Buffer, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        const name = fromBinary(HealthCheckRequestSchema, call.request).service;
        if (!this.known(name)) return callback({ code: status.NOT_FOUND, details: `unknown service ${name}` });
        callback(null, create(HealthCheckResponseSchema, { status: this.status() }));
      },
      watch: (call: ServerWritableStream<Buffer, HealthCheckResponse>) => {
        const name = fromBinary(HealthCheckRequestSchema, call.request).service;
        call.write(create(HealthCheckResponseSchema, { status: this.known(name) ? this.status() : Serving.SERVICE_UNKNOWN }));
        this.watchers.add(call);
        call.on("cancelled", () => this.watchers.delete(call));
      },
    };
    return impl as unknown as UntypedServiceImplementation;
  }

  private known(name: string): boolean {
    return name === "" || this.services.includes(name);
  }

  private status(): Serving {
    return this.serving ? Serving.SERVING : Serving.NOT_SERVING;
  }
}
