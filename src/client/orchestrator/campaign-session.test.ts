import { describe, expect, it } from "vitest";
import { CampaignSchema } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { create } from "@bufbuild/protobuf";
import { pinPlanSet, recordedBatchesOf } from "./campaign-session.js";
import { recordedSignalSource, type SignalSource } from "./signal-source.js";

describe("campaign sessions", () => {
  it("asks a plan-set source for the version the campaign recorded, and pins a campaign without one to none", async () => {
    const asked: unknown[] = [];
    const source = { ...recordedSignalSource([]), newestPlanSet: async (q: object) => (asked.push(q), undefined) } as unknown as SignalSource;
    const pinned = pinPlanSet(source, "ab12") as unknown as { newestPlanSet(q: object): Promise<unknown> };
    await pinned.newestPlanSet({ compiler: "llvm", compilerVersion: "14.0.6", objective: "ir-instcount" });
    expect(asked).toEqual([{ compiler: "llvm", compilerVersion: "14.0.6", objective: "ir-instcount", version: "ab12" }]);
    // A campaign that used none is pinned to none: not a set built from signals that came since.
    expect(pinPlanSet(source, "").pinnedPlanSet).toBe("");
    expect(pinPlanSet(recordedSignalSource([]), "ab12").newestPlanSet).toBeUndefined();
  });

  it("reads recorded plans as the kernel spells them (no empty values)", () => {
    const campaign = create(CampaignSchema, { batches: [{ sequence: 1, jobIds: ["j"], plans: [{ steps: [{ pass: "default", value: "Oz" }, { pass: "gvn", value: "" }] }] }] });
    expect(recordedBatchesOf(campaign)).toEqual([{ sequence: 1, jobIds: ["j"], plans: [{ steps: [{ pass: "default", value: "Oz" }, { pass: "gvn" }] }] }]);
  });
});
