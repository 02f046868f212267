import { GccToolchain } from "../gcc/index.js";
import { LlvmToolchain } from "../llvm/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { CompilerKind, Toolchain } from "./toolchain.js";

/** The Toolchain of the installed compiler of `kind`. */
export async function toolchainFor(kind: CompilerKind): Promise<Toolchain> {
  switch (kind) {
    case "llvm":
      return new LlvmToolchain();
    case "gcc":
      return new GccToolchain();
    case "cranelift": {
      const { CraneliftToolchain } = await import("../cranelift/index.js").catch((err: unknown) => {
        throw new OpmError("tool_missing", "the Cranelift adapter is not available in this build", { cause: err });
      });
      return new CraneliftToolchain();
    }
  }
}
