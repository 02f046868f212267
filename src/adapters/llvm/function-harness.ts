import { BUFFER_BYTES, type ArgumentSlots } from "./function-inputs.js";
import { HARNESS_HEAD, HARNESS_RUNTIME } from "./function-harness-runtime.js";
import { scalarKindOf, type FunctionSignature, type ScalarKind } from "./read-function-signature.js";

/** The symbol of the `i`-th entry point (`withEntryPoints`). */
export function entryPointName(i: number): string {
  return `__opm_fut_${i}`;
}

/** What the module's own `main` is renamed to, so that the harness's `main` is the program's entry. */
export const ORIGINAL_MAIN = "__opm_original_main";

/**
 * `module` with `@main` renamed to `ORIGINAL_MAIN` (outside string literals) and one
 * entry point per signature appended: `i64 @__opm_fut_<i>(i64, …)`, external and of C's
 * calling convention, that takes every argument as its 64 bits, calls the function
 * with its own calling convention and ABI attributes (so internal, `fastcc` and oddly
 * named functions can be called), and returns the result's bits zero-extended (void: 0).
 * Requires every parameter and the return type to have a `scalarKindOf` (or be void).
 */
export function withEntryPoints(module: string, signatures: readonly FunctionSignature[]): string {
  const renamed = module.split("\n").map(renameMain).join("\n");
  return `${renamed}\n${signatures.map((s, i) => entryPoint(s, entryPointName(i))).join("\n")}`;
}

function renameMain(line: string): string {
  if (!line.includes("@main")) return line;
  // Odd pieces are string literals (`c"…"`, quoted names), left as they are.
  return line.split(/("(?:[^"\\]|\\.)*")/).map((piece, i) => (i % 2 === 1 ? piece : piece.replace(/@main(?![-\w$.])/g, `@${ORIGINAL_MAIN}`))).join("");
}

function entryPoint(s: FunctionSignature, symbol: string): string {
  const body: string[] = [];
  const args = s.params.map((p, i) => {
    const k = scalarKindOf(p.type)!;
    const a = `%a${i}`;
    const v = `%v${i}`;
    if (k.kind === "int" && k.bits < 64) body.push(`${v} = trunc i64 ${a} to i${k.bits}`);
    else if (k.kind === "float") body.push(`%t${i} = trunc i64 ${a} to i32`, `${v} = bitcast i32 %t${i} to float`);
    else if (k.kind === "double") body.push(`${v} = bitcast i64 ${a} to double`);
    else if (k.kind === "pointer") body.push(`${v} = inttoptr i64 ${a} to ${p.type}`);
    return `${[p.type, ...p.abi].join(" ")} ${k.kind === "int" && k.bits === 64 ? a : v}`;
  });
  const callee = [s.callingConvention, ...s.returnAbi, s.returnType].filter((w) => w !== undefined).join(" ");
  const call = `call ${callee} @${s.name}(${args.join(", ")})`;
  const r = scalarKindOf(s.returnType);
  if (r === undefined) body.push(call, "ret i64 0");
  else {
    body.push(`%r = ${call}`);
    if (r.kind === "int" && r.bits === 64) body.push("ret i64 %r");
    else {
      if (r.kind === "int") body.push(`%z = zext i${r.bits} %r to i64`);
      else if (r.kind === "float") body.push("%rb = bitcast float %r to i32", "%z = zext i32 %rb to i64");
      else if (r.kind === "double") body.push("%z = bitcast double %r to i64");
      else body.push(`%z = ptrtoint ${s.returnType} %r to i64`);
      body.push("ret i64 %z");
    }
  }
  const params = s.params.map((_, i) => `i64 %a${i}`).join(", ");
  return `define i64 @${symbol}(${params}) {\n${body.map((l) => `  ${l}`).join("\n")}\n}\n`;
}

/** One function the harness calls: its parameters and result (undefined: void) as slots. */
export interface HarnessFunction {
  params: readonly ScalarKind[];
  result: ScalarKind | undefined;
}

/**
 * The C harness: its `main` calls every entry point (`withEntryPoints`, same order as
 * `functions`) with each of its argument lists, each call in a forked child (stdin
 * /dev/null, stdout and stderr captured, a real-time timer, killed at twice its time)
 * whose pointer arguments are fresh `BUFFER_BYTES`-byte buffers at the end of a page
 * followed by an inaccessible one (reads and writes past the end crash, deterministically),
 * mapped at a fixed address so that pointers into them compare equal across builds
 * (an aligned word holding an address in the program's image or heap, which move
 * between builds, reads as `a5…a5`). It prints one line
 * per call, `R <function> <call> <outcome>`, outcome one of:
 * `ret=<bits> out=<len>:<fnv64>:<hex of the first 64 bytes> m<k>=<buffer k's bytes in hex>…`
 * (a returned pointer as `null`, `buffer<k>±<offset>` or `other`; a NaN as `nan`),
 * `exit <status> out=…` (the function ended the process), `crash <signal>`, `timeout`,
 * `skip` (masked off) or `budget` (the run's time budget was spent). Its argument is
 * the control file (`harnessControl`).
 */
export function harnessSource(functions: readonly HarnessFunction[], args: readonly (readonly ArgumentSlots[])[]): string {
  const calls = args[0]?.length ?? 0;
  const maxArgs = Math.max(1, ...functions.map((f) => f.params.length));
  const code = (k: ScalarKind | undefined): string => (k === undefined ? "v" : k.kind === "int" ? "i" : k.kind === "float" ? "f" : k.kind === "double" ? "d" : "p");
  const thunks = functions.map((f, i) => {
    const name = entryPointName(i);
    const params = f.params.map(() => "uint64_t").join(", ") || "void";
    const pass = f.params.map((_, k) => `a[${k}]`).join(", ");
    return `extern uint64_t ${name}(${params});\nstatic uint64_t call_${i}(const uint64_t *a) { (void)a; return ${name}(${pass}); }`;
  });
  const table = functions.map((f, i) => {
    const bits = f.result?.kind === "int" ? f.result.bits : 64;
    return `  { call_${i}, "${f.params.map(code).join("")}", '${code(f.result)}', ${bits} },`;
  });
  const slots = args.map((perCall) => `  {\n${perCall.map((a) => `    { ${[...a, ...Array<bigint>(maxArgs - a.length).fill(0n)].map((v) => `0x${v.toString(16)}ULL`).join(", ")} },`).join("\n")}\n  },`);
  return `${HARNESS_HEAD}
#define NFUT ${functions.length}
#define NCALLS ${calls}
#define MAXARGS ${maxArgs}
#define BUF ${BUFFER_BYTES}

${thunks.join("\n")}

struct fut { uint64_t (*call)(const uint64_t *); const char *kinds; char ret; int bits; };
static const struct fut FUT[NFUT] = {
${table.join("\n")}
};
static const uint64_t ARGS[NFUT][NCALLS][MAXARGS] = {
${slots.join("\n")}
};
${HARNESS_RUNTIME}`;
}

/**
 * The control file of one harness run: the per-call timer, the run's time budget, and
 * which calls to make (`run[function][call]`; the others print `skip`).
 */
export function harnessControl(callMs: number, budgetMs: number, run: readonly (readonly boolean[])[]): string {
  return `${Math.max(1, Math.round(callMs))} ${Math.max(1, Math.round(budgetMs))}\n${run.map((r) => r.map((b) => (b ? "1" : "0")).join("")).join("\n")}\n`;
}

/** The outcome of every call a harness run printed, by `"<function> <call>"`. */
export function readHarnessOutput(stdout: string): Map<string, string> {
  const outcomes = new Map<string, string>();
  for (const m of stdout.matchAll(/^R (\d+) (\d+) (.*)$/gm)) outcomes.set(`${m[1]} ${m[2]}`, m[3]!);
  return outcomes;
}
