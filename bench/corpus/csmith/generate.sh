#!/usr/bin/env bash
# generate.sh [COUNT] [OUTDIR] - deterministic Csmith programs for the OpenPassMarket corpus.
#
# Tries seeds 1, 2, 3, ... in order and keeps the first COUNT (default 10) whose program
#   * compiles with clang and gcc at -O0 and -O2,
#   * terminates within 2 s with exit status 0 in every one of those four builds, and
#   * prints the same checksum in all four builds.
# A seed that fails any check is skipped (and reported on stderr), so the kept set depends
# only on the seed list and the toolchain. Kept programs are written to OUTDIR (default
# bench/corpus/csmith/out/, git-ignored) as csmith-SEED.c with the agreed output in
# csmith-SEED.out, and the kept seeds are listed in OUTDIR/seeds.txt.
#
# Csmith output is deterministic for a given seed and Csmith version. Generated with
# Debian's csmith 2.3.0 (Git version 30dccd7, package 2.3.0-7); the runtime headers
# (csmith.h, safe_math.h, ...) come from Debian's libcsmith-dev in /usr/include/csmith.
# Programs are generated on stdout (never with -o) so the "Options:" line in the header
# comment does not depend on OUTDIR.
#
# Environment: CSMITH (default csmith), CSMITH_INCLUDE (default /usr/include/csmith),
# CSMITH_MAX_SEED (highest seed tried, default 20*COUNT+20), RUN_TIMEOUT (default 2 s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
count="${1:-10}"
outdir="${2:-$here/out}"
CSMITH="${CSMITH:-csmith}"
CSMITH_INCLUDE="${CSMITH_INCLUDE:-/usr/include/csmith}"
RUN_TIMEOUT="${RUN_TIMEOUT:-2}"
max_seed="${CSMITH_MAX_SEED:-$((20 * count + 20))}"

case "$count" in ''|*[!0-9]*) echo "generate.sh: COUNT must be a non-negative integer, got '$count'" >&2; exit 2;; esac
command -v "$CSMITH" >/dev/null 2>&1 || { echo "generate.sh: '$CSMITH' not found on PATH (Debian: apt-get install csmith libcsmith-dev)" >&2; exit 3; }
CSMITH="$(command -v "$CSMITH")"
case "$CSMITH" in /*) ;; *) CSMITH="$PWD/$CSMITH" ;; esac
[ -f "$CSMITH_INCLUDE/csmith.h" ] || { echo "generate.sh: $CSMITH_INCLUDE/csmith.h not found (Debian: apt-get install libcsmith-dev, or set CSMITH_INCLUDE)" >&2; exit 3; }
for tool in clang gcc timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "generate.sh: '$tool' not found on PATH" >&2; exit 3; }
done

mkdir -p "$outdir"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/opm-csmith.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

configs=("clang -O0" "clang -O2" "gcc -O0" "gcc -O2")

# try_seed SEED: prints nothing, returns 0 if the program passes every check; leaves
# $tmp/prog.c and $tmp/ref.out behind on success, or the reason in $tmp/reason.
try_seed() {
  local seed="$1" i cc opt exe pids=()
  rm -f "$tmp"/prog* "$tmp"/*.out "$tmp"/reason
  # run in $tmp: csmith drops a platform.info file into its working directory
  if ! (cd "$tmp" && "$CSMITH" --seed "$seed" >"$tmp/prog.c" 2>"$tmp/csmith.err"); then
    echo "csmith failed" >"$tmp/reason"; return 1
  fi
  # compile the four builds in parallel
  for i in "${!configs[@]}"; do
    read -r cc opt <<<"${configs[$i]}"
    timeout 120 "$cc" -std=c99 "$opt" -w -I"$CSMITH_INCLUDE" -o "$tmp/prog.$i" "$tmp/prog.c" \
      >"$tmp/build.$i.log" 2>&1 &
    pids+=($!)
  done
  local failed=""
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed="${failed:-${configs[$i]}}"
  done
  if [ -n "$failed" ]; then echo "does not compile with $failed" >"$tmp/reason"; return 1; fi
  for i in "${!configs[@]}"; do
    exe="$tmp/prog.$i"
    if ! timeout "$RUN_TIMEOUT" "$exe" >"$tmp/$i.out" 2>/dev/null; then
      echo "${configs[$i]} build timed out or failed" >"$tmp/reason"; return 1
    fi
    if [ "$i" != 0 ] && ! cmp -s "$tmp/0.out" "$tmp/$i.out"; then
      echo "checksum differs between ${configs[0]} and ${configs[$i]}" >"$tmp/reason"; return 1
    fi
  done
  grep -q '^checksum = ' "$tmp/0.out" || { echo "no checksum line" >"$tmp/reason"; return 1; }
  mv "$tmp/0.out" "$tmp/ref.out"
}

kept=0
seed=0
: >"$tmp/seeds.txt"
while [ "$kept" -lt "$count" ]; do
  seed=$((seed + 1))
  if [ "$seed" -gt "$max_seed" ]; then
    echo "generate.sh: only $kept of $count programs passed with seeds 1..$max_seed" >&2
    exit 1
  fi
  if try_seed "$seed"; then
    cp "$tmp/prog.c" "$outdir/csmith-$seed.c"
    cp "$tmp/ref.out" "$outdir/csmith-$seed.out"
    echo "$seed" >>"$tmp/seeds.txt"
    kept=$((kept + 1))
    echo "kept seed $seed: $(cat "$tmp/ref.out")" >&2
  else
    echo "skipped seed $seed: $(cat "$tmp/reason")" >&2
  fi
done
cp "$tmp/seeds.txt" "$outdir/seeds.txt"
echo "generate.sh: $kept program(s) in $outdir (seeds $(paste -sd, "$tmp/seeds.txt"))" >&2
