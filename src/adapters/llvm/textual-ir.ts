import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { clipLog, runTool } from "../framework/run-tool.js";

/** True for LLVM bitcode: the raw magic `BC 0xC0DE` or the wrapper magic `0x0B17C0DE`. */
export function isBitcode(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.length >= 4 && (b.readUInt32BE(0) === 0x4243c0de || b.readUInt32LE(0) === 0x0b17c0de);
}

/**
 * `bytes` as textual IR: text as it is, bitcode through `llvm-dis` (in `dir`, as
 * `<name>.bc` → `<name>.ll`). Throws invalid_argument naming `field` when llvm-dis refuses it.
 */
export async function textualIr(bytes: Buffer, llvmDis: string, dir: string, name: string, field: string): Promise<Buffer> {
  if (!isBitcode(bytes)) return bytes;
  await writeFile(join(dir, `${name}.bc`), bytes);
  const r = await runTool(llvmDis, [`${name}.bc`, "-o", `${name}.ll`], { cwd: dir, timeoutMs: 120_000, missingPackage: "llvm" });
  if (r.exitCode !== 0) throw new OpmError("invalid_argument", `field \`${field}\`: not valid LLVM bitcode: ${clipLog(r.stderr, 800).trim()}`, { field });
  return readFile(join(dir, `${name}.ll`));
}
