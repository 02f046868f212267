import { readFile } from "node:fs/promises";
import { OpmError } from "../../kernel/errors/index.js";
import type { Artifact } from "./verdict.js";

/** The bytes of an artifact; `invalid_argument` naming `field` when a path cannot be read. */
export async function readArtifact(artifact: Artifact, field: string): Promise<Buffer> {
  if ("text" in artifact) return Buffer.from(artifact.text, "utf8");
  if ("bytes" in artifact) return Buffer.from(artifact.bytes);
  try {
    return await readFile(artifact.path);
  } catch (err) {
    throw new OpmError("invalid_argument", `field \`${field}\`: cannot read ${JSON.stringify(artifact.path)}: ${(err as Error).message}`, { field, cause: err });
  }
}
