import { OpmError } from "../../kernel/errors/index.js";
import { findExecutable } from "../framework/run-tool.js";

/** The LLVM tools the adapter runs. */
export const LLVM_TOOL_NAMES = ["opt", "llc", "clang", "llvm-link", "llvm-dis", "llvm-profdata"] as const;
export type LlvmToolName = (typeof LLVM_TOOL_NAMES)[number];

/** Debian package that installs each tool. */
export const LLVM_TOOL_PACKAGES: Readonly<Record<LlvmToolName, string>> = {
  opt: "llvm",
  llc: "llvm",
  "llvm-link": "llvm",
  "llvm-dis": "llvm",
  "llvm-profdata": "llvm",
  clang: "clang",
};

export interface FindLlvmToolsOptions {
  /** Explicit paths (or names to look up) per tool; these win over the search. */
  tools?: Partial<Record<LlvmToolName, string>>;
  /** Directories to search, `:`-separated; default `$PATH`. */
  searchPath?: string;
  /** Versioned suffixes tried after the plain name (`opt-14`); default 20 down to 10. */
  versions?: readonly number[];
}

const DEFAULT_VERSIONS = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10];

/**
 * Absolute paths of every LLVM tool: an explicit `tools[name]` if given, else the
 * plain name on the search path, else `name-<version>`, else
 * `/usr/lib/llvm-<version>/bin/name` (Debian's layout). Throws `tool_missing`
 * listing every missing tool and the Debian packages (`llvm`, `clang`) to install.
 */
export function findLlvmTools(options: FindLlvmToolsOptions = {}): Record<LlvmToolName, string> {
  const versions = options.versions ?? DEFAULT_VERSIONS;
  const found: Partial<Record<LlvmToolName, string>> = {};
  const missing: LlvmToolName[] = [];
  for (const tool of LLVM_TOOL_NAMES) {
    const explicit = options.tools?.[tool];
    let path: string | undefined;
    if (explicit !== undefined) {
      path = findExecutable(explicit, options.searchPath);
    } else {
      path = findExecutable(tool, options.searchPath);
      for (const v of versions) {
        if (path !== undefined) break;
        path = findExecutable(`${tool}-${v}`, options.searchPath);
        if (path === undefined && options.searchPath === undefined) path = findExecutable(`/usr/lib/llvm-${v}/bin/${tool}`);
      }
    }
    if (path === undefined) missing.push(tool);
    else found[tool] = path;
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => LLVM_TOOL_PACKAGES[t]))];
    const names = missing.map((t) => (options.tools?.[t] !== undefined ? `${t} (${options.tools[t]})` : t));
    throw new OpmError(
      "tool_missing",
      `LLVM tools not found: ${names.join(", ")}; install the Debian package${packages.length > 1 ? "s" : ""} ${packages.map((p) => `\`${p}\``).join(" and ")}`,
      { detail: `searched ${options.searchPath ?? "$PATH"} for versions ${versions.join(", ")}` },
    );
  }
  return found as Record<LlvmToolName, string>;
}
