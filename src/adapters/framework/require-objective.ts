import { OpmError } from "../../kernel/errors/index.js";
import type { Objective } from "../../kernel/plan/index.js";
import type { ToolchainDeclaration } from "./toolchain.js";

/** Throws invalid_argument (field `objective`) unless `declaration`'s toolchain measures `objective`. */
export function requireObjective(declaration: Pick<ToolchainDeclaration, "title" | "objectives">, objective: Objective): void {
  if (!declaration.objectives.includes(objective)) {
    throw new OpmError("invalid_argument", `field \`objective\`: the ${declaration.title} toolchain measures ${declaration.objectives.join(", ")}, not \`${objective}\``, { field: "objective" });
  }
}
