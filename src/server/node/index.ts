export { startRegistryNode } from "./registry-node.js";
export type { RegistryNode, RegistryNodeOptions } from "./registry-node.js";
