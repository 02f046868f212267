import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LocalProblemSchema, Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { ActorSchema } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { marketViewOf } from "./market-view.js";
import { participantOf } from "./participant-of.js";

const problem = (participant: string, visibility: Visibility) =>
  create(LocalProblemSchema, { participant, visibility, features: [{ name: "add", value: 3 }], ir: visibility === Visibility.PUBLIC ? new Uint8Array([1, 2]) : new Uint8Array() });

describe("marketViewOf", () => {
  it("shows another participant's public problem exactly, with its features and without its IR", () => {
    const view = marketViewOf(problem("bob", Visibility.PUBLIC), "alice");
    expect(view).toEqual({ kind: "exact", features: [expect.objectContaining({ name: "add", value: 3 })] });
    expect(Object.keys(view)).toEqual(["kind", "features"]);
  });

  it("shows another participant's private problem by its releases only, and withholds the caller's own", () => {
    const released = { kind: "released", features: [expect.objectContaining({ name: "add", value: 3 })] };
    expect(marketViewOf(problem("bob", Visibility.PRIVATE), "alice")).toEqual(released);
    expect(marketViewOf(problem("bob", Visibility.UNSPECIFIED), "alice")).toEqual(released);
    expect(marketViewOf(problem("alice", Visibility.PUBLIC), "alice")).toEqual({ kind: "withheld" });
    expect(marketViewOf(problem("alice", Visibility.PRIVATE), "alice")).toEqual({ kind: "withheld" });
  });
});

describe("participantOf", () => {
  it("is a participant itself, an adapter's owner, and nobody for others", () => {
    expect(participantOf(create(ActorSchema, { name: "alice", kind: "participant" }))).toBe("alice");
    expect(participantOf(create(ActorSchema, { name: "a1", kind: "adapter", owner: "bob" }))).toBe("bob");
    expect(participantOf(create(ActorSchema, { name: "a2", kind: "adapter" }))).toBe("");
    expect(participantOf(create(ActorSchema, { name: "operator", kind: "admin" }))).toBe("");
    expect(participantOf(undefined)).toBe("");
  });
});
