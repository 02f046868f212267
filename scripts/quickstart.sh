#!/usr/bin/env bash
# The main job, end to end on the embedded default: installs what is missing, starts a
# registry (`opm serve`, PGlite under .data/), issues identities from its CA, starts a
# real LLVM adapter process, admits it, and asks the marketplace to optimize a corpus
# program — then stops everything. Prints the result JSON on stdout.
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
for _ in $(seq 1 300); do
  node bin/opm.js admit llvm-alice-1 --registry "$ADDR" --identity "$DATA/identities/admin" --reason quickstart >/dev/null 2>>"$log" && break
  sleep 0.2
done

echo "quickstart: optimizing $FILE ($EVALS evaluations, random search)" >&2
node bin/opm.js optimize "$FILE" --compiler llvm --objective ir-instcount --max-evals "$EVALS" \
  --registry "$ADDR" --identity "$DATA/identities/alice" --ir-store "$DATA/ir" --json
echo "quickstart: audit trail" >&2
node bin/opm.js audit --registry "$ADDR" --identity "$DATA/identities/alice" --newest --limit 12 >&2
