#!/usr/bin/env bash
# make-expected.sh [NAME...] - regenerate expected/NAME.out for the corpus programs
# (default: every programs/*.c) from a clang -O0 build. Never edit expected/*.out by hand;
# run ./check.sh afterwards to confirm every other compiler/level agrees.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CC="${CC:-clang}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/opm-corpus-expected.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$here/expected"

if [ "$#" -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in "$here"/programs/*.c; do names+=("$(basename "$f" .c)"); done
fi

for name in "${names[@]}"; do
  src="$here/programs/$name.c"
  "$CC" -std=c11 -O0 -o "$tmp/$name" "$src"
  "$tmp/$name" >"$tmp/$name.out"
  mv "$tmp/$name.out" "$here/expected/$name.out"
  echo "wrote expected/$name.out ($(wc -l <"$here/expected/$name.out") line(s))"
done
