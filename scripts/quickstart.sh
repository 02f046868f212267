#!/usr/bin/env bash
# The main job, end to end on the embedded default: installs what is missing, starts a
# registry (`opm serve`, PGlite under .data/), issues identities from its CA, starts a
# real LLVM adapter process, admits it, and asks the marketplace to optimize a corpus
# program — then stops everything. Prints the result JSON on stdout; on stderr, progress,
# then the winning plan, the clang + opt command that reproduces it (run once to check),
# and the audit events of the winning job and its signal. Logs go to $DATA/quickstart.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

DATA=${OPM_DATA_DIR:-.data}
FILE=${1:-bench/corpus/programs/bitcount.c}
EVALS=${OPM_MAX_EVALS:-60}
mkdir -p "$DATA"
log="$DATA/quickstart.log"; : > "$log"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "quickstart: starting the registry (opm serve, embedded PostgreSQL in $DATA)" >&2
fifo=$(mktemp -u); mkfifo "$fifo"
node bin/opm.js serve --data-dir "$DATA" --listen 127.0.0.1:0 >"$fifo" 2>>"$log" & pids+=($!)
read -r listening <"$fifo"; rm -f "$fifo"
echo "quickstart: $listening" >&2
ADDR=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).address)' "$listening")

for name in alice llvm-alice-1; do
  [ -f "$DATA/identities/$name/cert.pem" ] || node bin/opm.js pki issue --data-dir "$DATA" --name "$name" >/dev/null 2>>"$log"
done

echo "quickstart: starting an LLVM adapter process and admitting it" >&2
node bin/opm.js adapter llvm --registry "$ADDR" --identity "$DATA/identities/llvm-alice-1" --owner alice \
  --ir-store "$DATA/ir" --concurrency 2 2>>"$log" & pids+=($!)
# Waits for the adapter to register, then admits it (operator identity).
node bin/opm.js admit llvm-alice-1 --registry "$ADDR" --identity "$DATA/identities/admin" --reason quickstart --wait 60 >/dev/null 2>>"$log"

# field JSON NAME: the top-level field NAME of the JSON document.
field() { node -e 'process.stdout.write(String(JSON.parse(process.argv[1])[process.argv[2]] ?? ""))' "$1" "$2"; }
echo "quickstart: optimizing $FILE ($EVALS evaluations, random search)" >&2
result=$(node bin/opm.js optimize "$FILE" --compiler llvm --objective ir-instcount --max-evals "$EVALS" \
  --registry "$ADDR" --identity "$DATA/identities/alice" --ir-store "$DATA/ir" --json)
printf '%s\n' "$result"

# The winning plan; the same plan run by hand with clang and opt, and what that measures;
# the audit events of the job that found it and of the signal its adapter signed.
rc=0
node --input-type=module - "$result" "$FILE" >&2 <<'NODE' || rc=$?
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { CLANG_IR_FLAGS, countInstructions, findLlvmTools } from "./dist/src/adapters/llvm/index.js";
import { readLlvmIr } from "./dist/src/adapters/llvm/read-llvm-ir.js";

const [json, file] = process.argv.slice(2);
const r = JSON.parse(json);
const tools = findLlvmTools();
// Plain names where the search path finds them: what the adapter runs then.
const tool = (name) => (basename(tools[name]) === name ? name : tools[name]);
const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
const byHand = (source) => `${tool("clang")} ${CLANG_IR_FLAGS.join(" ")} ${quote(source)} -o in.ll && ${tool("opt")} ${quote(`-passes=${r.pipeline}`)} in.ll -S -o out.ll`;
const dir = mkdtempSync(join(tmpdir(), "opm-quickstart-"));
let measured;
try {
  execFileSync("sh", ["-c", byHand(resolve(file))], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  measured = countInstructions(readLlvmIr(readFileSync(join(dir, "out.ll"), "utf8")));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`quickstart: the winning plan (${r.best} ${r.unit}, ${r.change} against ${r.baselinePlan}):`);
console.log(`  ${r.pipeline}`);
console.log(`quickstart: reproduce it with plain clang and opt (LLVM ${r.compilerVersion}); run just now, its out.ll has ${measured} ${r.unit}${measured === r.best ? ", as the market measured" : `, NOT the ${r.best} the market measured`}:`);
console.log(`  ${byHand(file)}`);
console.log(`quickstart: the audit events of the winning job ${r.bestJobId} and of its signal ${r.bestSignalId}:`);
process.exitCode = measured === r.best ? 0 : 1;
NODE
node bin/opm.js audit --registry "$ADDR" --identity "$DATA/identities/alice" \
  --object "$(field "$result" bestJobId)" --object "$(field "$result" bestSignalId)" >&2
exit $rc
