#!/usr/bin/env bash
# Installs everything OpenPassMarket needs on a fresh Debian machine, idempotently:
# Debian's compilers and PostgreSQL, npm packages (which also builds dist/), and the
# Cargo build of the Cranelift driver. Safe to run again; fast when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(clang lld llvm libclang-rt-14-dev csmith libcsmith-dev wasi-libc libclang-rt-14-dev-wasm32 gcc postgresql)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` with the committed lock, not `npm ci`: npm 11 drops @bufbuild/buf's
  # other-platform optional packages from the lock and `npm ci` then refuses it.
  echo "setup: npm install (from package-lock.json)" >&2
  npm install --no-audit --no-fund >&2
else
  npm run --silent build >&2
fi

# grpcurl, from the Go module proxy, for the reflection test (the registry serves reflection).
if [ ! -x "$HOME/go/bin/grpcurl" ] && command -v go >/dev/null 2>&1; then
  echo "setup: go install grpcurl" >&2
  GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3 >&2 || echo "setup: grpcurl not installed; its test will be skipped" >&2
fi

if [ -f src/adapters/cranelift/driver/Cargo.toml ]; then
  echo "setup: cargo build --release (Cranelift driver)" >&2
  (cd src/adapters/cranelift/driver && cargo build --release --locked --quiet) >&2
fi
echo "setup: done" >&2
