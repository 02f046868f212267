#!/usr/bin/env bash
# check.sh [NAME...] - full verification of the hand-written corpus programs.
#
# For each program (default: all of programs/*.c):
#   1. zero warnings with clang and gcc at -std=c11 -Wall -Wextra -O2 (warnings are errors);
#   2. clean runs under -fsanitize=undefined,address with clang and gcc;
#   3. identical stdout across clang -O0/-Oz/-O3 and gcc -O0/-Os/-O3,
#      equal to expected/NAME.out when that file exists;
#   4. compiles to wasm32-wasi (see README.md for the command);
#   5. if node has WASI support, runs the .wasm and compares its stdout too.
# Exits non-zero on the first failing program (after reporting all).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASI_SYSROOT="${WASI_SYSROOT:-/usr}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/opm-corpus-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [ "$#" -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in "$here"/programs/*.c; do names+=("$(basename "$f" .c)"); done
fi

UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS ASAN_OPTIONS

failures=0
fail() { echo "FAIL $1: $2" >&2; failures=$((failures + 1)); }

# Runs a wasm32-wasi module with node's WASI implementation; prints its stdout.
run_wasm() {
  node --no-warnings -e '
    const { WASI } = require("node:wasi");
    const fs = require("node:fs");
    const wasi = new WASI({ version: "preview1", args: ["prog"], env: {} });
    const mod = new WebAssembly.Module(fs.readFileSync(process.argv[1]));
    const inst = new WebAssembly.Instance(mod, wasi.getImportObject());
    const code = wasi.start(inst);
    process.exitCode = code;
  ' "$1"
}

for name in "${names[@]}"; do
  src="$here/programs/$name.c"
  [ -f "$src" ] || { fail "$name" "no such program $src"; continue; }
  ok=1
  for cc in clang gcc; do
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -O2 -o "$tmp/$name.$cc.warn" "$src" 2>"$tmp/$name.$cc.warnlog"; then
      fail "$name" "$cc -Wall -Wextra -O2 warnings/errors:"; cat "$tmp/$name.$cc.warnlog" >&2; ok=0
    fi
    if ! "$cc" -std=c11 -g -O1 -fsanitize=undefined,address -fno-sanitize-recover=all \
        -o "$tmp/$name.$cc.san" "$src" 2>"$tmp/$name.$cc.sanlog"; then
      fail "$name" "$cc sanitizer build failed"; cat "$tmp/$name.$cc.sanlog" >&2; ok=0
    elif ! "$tmp/$name.$cc.san" >"$tmp/$name.$cc.san.out" 2>"$tmp/$name.$cc.san.err"; then
      fail "$name" "$cc sanitizer run failed"; cat "$tmp/$name.$cc.san.err" >&2; ok=0
    elif [ -s "$tmp/$name.$cc.san.err" ]; then
      fail "$name" "$cc sanitizer run wrote to stderr"; cat "$tmp/$name.$cc.san.err" >&2; ok=0
    fi
  done
  ref=""
  for cfg in "clang -O0" "clang -Oz" "clang -O3" "gcc -O0" "gcc -Os" "gcc -O3"; do
    set -- $cfg
    exe="$tmp/$name.$1$2"
    if ! "$1" -std=c11 "$2" -o "$exe" "$src"; then fail "$name" "$cfg build failed"; ok=0; continue; fi
    start=$(date +%s%N)
    if ! "$exe" >"$exe.out"; then fail "$name" "$cfg run exited non-zero"; ok=0; continue; fi
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$cfg" = "clang -O0" ]; then echo "  $name: clang -O0 run ${ms} ms"; fi
    if [ -z "$ref" ]; then ref="$exe.out"; elif ! cmp -s "$ref" "$exe.out"; then
      fail "$name" "$cfg output differs from clang -O0"; diff "$ref" "$exe.out" >&2 || true; ok=0
    fi
  done
  if [ -n "$ref" ] && [ -f "$here/expected/$name.out" ] && ! cmp -s "$ref" "$here/expected/$name.out"; then
    fail "$name" "output differs from expected/$name.out"; ok=0
  fi
  if [ -n "$ref" ] && [ -s "$tmp/$name.clang.san.out" ] && ! cmp -s "$ref" "$tmp/$name.clang.san.out"; then
    fail "$name" "sanitizer build output differs"; ok=0
  fi
  if ! clang --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -o "$tmp/$name.wasm" "$src"; then
    fail "$name" "wasm32-wasi build failed"; ok=0
  elif [ -n "$ref" ] && command -v node >/dev/null 2>&1; then
    if ! run_wasm "$tmp/$name.wasm" >"$tmp/$name.wasm.out"; then
      fail "$name" "wasm run failed"; ok=0
    elif ! cmp -s "$ref" "$tmp/$name.wasm.out"; then
      fail "$name" "wasm output differs"; diff "$ref" "$tmp/$name.wasm.out" >&2 || true; ok=0
    fi
  fi
  [ "$ok" = 1 ] && echo "ok   $name"
done

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all ${#names[@]} program(s) verified"
