import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { RunSetSchema } from "../../gen/openpassmarket/v1/problem_pb.js";
import { runSetBytes, runSetDigest, runSetFromBytes, runSetFromProto, runSetToProto, validateRuns, type RunSpec } from "./run-spec.js";

const run = (over: Partial<RunSpec> = {}): RunSpec => ({
  name: "compress", args: ["-c", "in.txt"], stdin: new Uint8Array(), files: [{ name: "in.txt", contents: Buffer.from("hello") }],
  env: {}, compare: ["stdout", "exit"], ...over,
});

describe("run specifications", () => {
  it("round-trips through canonical bytes, sorted, with a digest that depends on every part", () => {
    const runs = [run({ name: "b", env: { Z: "1", A: "2" } }), run({ name: "a", compare: ["stdout", "files", "exit"] })];
    const back = runSetFromBytes(runSetBytes(runs));
    expect(back.map((r) => r.name)).toEqual(["a", "b"]);
    expect(back[0]!.compare).toEqual(["exit", "files", "stdout"]);
    expect(Object.keys(back[1]!.env)).toEqual(["A", "Z"]);
    expect(runSetDigest(back)).toBe(runSetDigest(runs));
    expect(runSetDigest([run({ files: [{ name: "in.txt", contents: Buffer.from("hellO") }] })])).not.toBe(runSetDigest([run()]));
    expect(runSetDigest([run({ args: ["-d", "in.txt"] })])).not.toBe(runSetDigest([run()]));
    expect(runSetDigest([])).toBe("");
  });

  it.each([
    ["a file name that is a path", run({ files: [{ name: "../etc/passwd", contents: new Uint8Array() }] }), /plain name/],
    ["a hidden file name", run({ files: [{ name: ".profile", contents: new Uint8Array() }] }), /plain name/],
    ["LD_PRELOAD", run({ env: { LD_PRELOAD: "/tmp/x.so" } }), /not allowed/],
    ["an unknown output", run({ compare: ["stdout", "time" as never] }), /unknown output "time"/],
    ["no output compared", run({ compare: [] }), /compares no output/],
    ["a NUL in an argument", run({ args: ["a\0b"] }), /no NUL/],
    ["an empty name", run({ name: "" }), /run name ""/],
  ])("refuses %s with a message naming it", (_what, bad, message) => {
    expect(() => validateRuns([bad])).toThrow(message);
  });

  it("refuses two runs of one name and a set that is not canonical", () => {
    expect(() => validateRuns([run(), run()])).toThrow(/two runs are named "compress"/);
    const unsorted = create(RunSetSchema, { runs: [...runSetToProto([run({ name: "b" })]).runs, ...runSetToProto([run({ name: "a" })]).runs] });
    expect(() => runSetFromProto(unsorted)).toThrow(/sorted/);
    expect(() => runSetFromBytes(new Uint8Array([0xff, 0xff]))).toThrow(/not a RunSet/);
  });
});
