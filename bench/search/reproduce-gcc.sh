#!/bin/bash
# Re-measures the GCC search bench's best plans with plain gcc, outside the project: reads
# the bench's stderr lines ("PROGRAM STRATEGY: baseline B best N (…) pipeline FLAGS") on
# stdin, compiles each corpus program with `gcc FLAGS -c`, reads the object's .text* bytes
# (summed, with `size -A`), links and runs it, and compares its output with bench/corpus/expected/.
#
#   node dist/bench/search/search-bench.js --compiler gcc … 2> search.err; bash bench/search/reproduce-gcc.sh < search.err
set -euo pipefail
corpus="$(cd "$(dirname "$0")/../corpus" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
grep -E '^[a-z0-9_-]+ [a-z-]+: baseline [0-9]+ best [0-9]+ .* pipeline ' | while read -r line; do
  program="${line%% *}"
  strategy="$(echo "$line" | awk '{print $2}' | tr -d :)"
  claimed="$(echo "$line" | sed -E 's/.* best ([0-9]+) .*/\1/')"
  read -r -a flags <<< "${line##* pipeline }"
  gcc "${flags[@]}" -c "$corpus/programs/$program.c" -o "$work/p.o"
  text="$(size -A "$work/p.o" | awk '$1 ~ /^\.text/ {n += $2} END {print n + 0}')"
  gcc "$work/p.o" -o "$work/a.out" -lm
  output="differs"
  if "$work/a.out" > "$work/run.txt" 2>&1 && cmp -s "$work/run.txt" "$corpus/expected/$program.out"; then output="same"; fi
  echo "$program $strategy claimed $claimed plain-gcc $text output $output"
done
