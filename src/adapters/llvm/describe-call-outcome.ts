import { formatFloat } from "./function-inputs.js";
import type { ScalarKind } from "./read-function-signature.js";

/** One call's outcome as the harness prints it (`harnessSource`), split into its fields. */
interface CallOutcome {
  kind: "ret" | "exit" | "crash" | "timeout" | "other";
  /** `ret`: the result as printed; `exit`: the status; `crash`: the signal. */
  value: string;
  /** `<length>:<fnv64>:<hex of the first 64 bytes>` of stdout and stderr. */
  output: string;
  /** Buffer of argument k (0-based) after the call, hex, or `null`. */
  buffers: Map<number, string>;
}

/**
 * The first observable difference between two outcomes of the same call, as a clause:
 * `reference returned -4 (0xfffffffc), transformed returned 10 (0xa)`, a buffer's first
 * differing byte, the captured output, or how the call ended. `result` is the
 * function's return kind (undefined: void). Requires `reference !== transformed`.
 */
export function describeOutcomeDifference(reference: string, transformed: string, result: ScalarKind | undefined): string {
  const [a, b] = [readOutcome(reference), readOutcome(transformed)];
  const both = (what: (o: CallOutcome) => string): string => `reference ${what(a)}, transformed ${what(b)}`;
  if (a.kind !== b.kind || a.value !== b.value) return both((o) => ended(o, result));
  for (const [k, bytes] of a.buffers) {
    const other = b.buffers.get(k) ?? "";
    if (bytes === other) continue;
    let at = 0;
    while (at < bytes.length && bytes[at] === other[at]) at++;
    const byte = Math.floor(at / 2);
    return `after the call the buffer of argument ${k + 1} differs from byte ${byte}: reference 0x${bytes.slice(2 * byte, 2 * byte + 2)}, transformed 0x${other.slice(2 * byte, 2 * byte + 2)}`;
  }
  if (a.output !== b.output) return `the output (stdout and stderr) differs: ${both(printed)}`;
  return both((o) => JSON.stringify(o.kind === "other" ? o.value : `${o.kind} ${o.value}`));
}

function readOutcome(text: string): CallOutcome {
  const fields = new Map(text.split(" ").map((f) => {
    const eq = f.indexOf("=");
    return eq < 0 ? [f, ""] : [f.slice(0, eq), f.slice(eq + 1)];
  }));
  const buffers = new Map<number, string>();
  for (const [key, value] of fields) if (/^m\d+$/.test(key)) buffers.set(Number(key.slice(1)), value);
  const output = fields.get("out") ?? "";
  if (text.startsWith("ret=")) return { kind: "ret", value: fields.get("ret") ?? "", output, buffers };
  const [word, value = ""] = text.split(" ");
  if (word === "exit" || word === "crash" || word === "timeout") return { kind: word, value, output, buffers };
  return { kind: "other", value: text, output, buffers };
}

function ended(o: CallOutcome, result: ScalarKind | undefined): string {
  switch (o.kind) {
    case "ret":
      return `returned ${formatResult(o.value, result)}`;
    case "exit":
      return `ended the process with exit status ${o.value}`;
    case "crash":
      return `crashed (${o.value})`;
    case "timeout":
      return "did not return in time";
    case "other":
      return JSON.stringify(o.value);
  }
}

function formatResult(printed: string, result: ScalarKind | undefined): string {
  if (result === undefined || printed === "nan" || printed === "null" || printed === "other") return printed;
  if (result.kind === "pointer") return printed.replace(/^buffer(\d+)([-+]\d+)$/, (_, k: string, off: string) => `a pointer to argument ${Number(k) + 1}'s buffer ${off}`);
  const bits = BigInt(`0x${printed}`);
  if (result.kind === "int") return `${BigInt.asIntN(result.bits, bits)} (0x${printed})`;
  return `${formatFloat(result.kind, bits)} (0x${printed})`;
}

/** `12 bytes "hello…"` from `<length>:<hash>:<hex head>`. */
function printed(o: CallOutcome): string {
  const [length = "0", , head = ""] = o.output.split(":");
  const text = Buffer.from(head, "hex").toString("latin1");
  return `${length} byte(s) ${JSON.stringify(text)}${Number(length) > 64 ? "…" : ""}`;
}
