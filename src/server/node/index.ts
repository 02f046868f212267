export { startRegistryNode } from "./registry-node.js";
export type { RegistryNode, RegistryNodeOptions } from "./registry-node.js";
export { startLocalMarket } from "./local-market.js";
export type { LocalMarket } from "./local-market.js";
