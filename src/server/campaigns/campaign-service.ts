import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { CampaignService } from "../../gen/openpassmarket/v1/campaign_service_pb.js";
import { bindMethods, type HandlerEnv, type MethodImpl } from "../rpc/index.js";
import { finishCampaign, getCampaign, handoffCampaign, listCampaigns, resumeCampaign, startCampaign } from "./campaigns.js";

type Methods = (typeof CampaignService)["method"];
type Impl = { [K in keyof Methods]: MethodImpl<Methods[K]["input"], Methods[K]["output"]> };

/** The CampaignService methods: who may call each is in the access table. */
export const CAMPAIGN_METHODS: Impl = {
  startCampaign: { mutates: true, handle: startCampaign },
  getCampaign: { mutates: false, handle: getCampaign },
  listCampaigns: { mutates: false, handle: listCampaigns },
  resumeCampaign: { mutates: true, handle: resumeCampaign },
  handoffCampaign: { mutates: true, handle: handoffCampaign },
  finishCampaign: { mutates: true, handle: finishCampaign },
};

/** CampaignService bound to the shared handler machinery. */
export function campaignImplementation(env: HandlerEnv): UntypedServiceImplementation {
  return bindMethods(CampaignService, CAMPAIGN_METHODS as never, env);
}
