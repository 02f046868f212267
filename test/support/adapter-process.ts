import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { writeIdentity, type Identity } from "../../src/kernel/pki/index.js";

const OPM = fileURLToPath(new URL("../../bin/opm.js", import.meta.url));

/** A real `opm adapter …` process (the compiled CLI), its stderr kept for diagnostics. */
export interface AdapterChild {
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** Spawns `opm adapter KIND` for `identity` (written under `dir`) against `registry`. */
export function spawnAdapter(kind: string, registry: string, identity: Identity, dir: string, extra: string[] = []): AdapterChild {
  writeIdentity(dir, identity);
  const child = spawn(process.execPath, [OPM, "adapter", kind, "--registry", registry, "--identity", dir, ...extra], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  return {
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
