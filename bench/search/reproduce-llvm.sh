#!/bin/bash
# Re-measures the LLVM search bench's best plans with plain clang and opt, outside the project:
# reads the bench's stderr lines ("PROGRAM STRATEGY: baseline B best N (…) pipeline P") on stdin,
# builds each program's starting IR (clang -Oz -Xclang -disable-llvm-passes), runs
# `opt -passes=P`, counts the IR instructions with awk, links and runs the result, and
# compares its output with bench/corpus/expected/PROGRAM.out.
#
#   node dist/bench/search/search-bench.js --compiler llvm … 2> search.err; bash bench/search/reproduce-llvm.sh < search.err
set -euo pipefail
corpus="$(cd "$(dirname "$0")/../corpus" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Instructions: lines in function bodies indented by two spaces, not comments nor a switch's closing bracket.
count() { awk '/^define /{f=1;next} f&&/^}/{f=0} f&&/^  [^ ;\]]/{n++} END{print n+0}' "$1"; }
grep -E '^[a-z0-9_-]+ [a-z-]+: baseline [0-9]+ best [0-9]+ .* pipeline ' | while read -r line; do
  program="${line%% *}"
  strategy="$(echo "$line" | awk '{print $2}' | tr -d :)"
  claimed="$(echo "$line" | sed -E 's/.* best ([0-9]+) .*/\1/')"
  pipeline="${line##* pipeline }"
  clang -Oz -Xclang -disable-llvm-passes -emit-llvm -S "$corpus/programs/$program.c" -o "$work/in.ll"
  opt -passes="$pipeline" "$work/in.ll" -S -o "$work/out.ll"
  clang "$work/out.ll" -o "$work/a.out" -lm 2>/dev/null
  output="differs"
  if "$work/a.out" > "$work/run.txt" 2>&1 && cmp -s "$work/run.txt" "$corpus/expected/$program.out"; then output="same"; fi
  echo "$program $strategy claimed $claimed plain-opt $(count "$work/out.ll") output $output"
done
