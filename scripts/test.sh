#!/usr/bin/env bash
# The test command: setup, static checks, then the whole suite against embedded PGlite
# AND a real PostgreSQL server started on loopback for the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "test: typecheck" >&2
npx tsc -p tsconfig.json --noEmit
echo "test: buf lint + generated code is up to date" >&2
npx buf lint
npx buf generate
if ! git diff --quiet -- src/gen 2>/dev/null || [ -n "$(git status --porcelain -- src/gen 2>/dev/null)" ]; then
  echo "test: src/gen differs from what proto/ generates; run npm run generate and commit" >&2
  git status --porcelain -- src/gen >&2; exit 1
fi
if git rev-parse -q --verify HEAD~1 >/dev/null 2>&1 && git cat-file -e HEAD~1:buf.yaml 2>/dev/null; then
  echo "test: buf breaking against the previous commit" >&2
  npx buf breaking --against ".git#ref=HEAD~1"
fi

echo "test: Cranelift driver (cargo test)" >&2
(cd src/adapters/cranelift/driver && cargo test --release --locked --quiet)

# The real-PostgreSQL half is not optional: if the server cannot start, the run fails here
# (never a PGlite-only run that looks like the whole suite). Its log outlives the run.
mkdir -p .tmp
pglog="$PWD/.tmp/test-postgres.log"
pgdir=$(mktemp -d /tmp/opm-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
if ! OPM_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start "$pgdir" "${OPM_TEST_PG_PORT:-}" "$pglog"); then
  echo "test: PostgreSQL could not start (log: $pglog); not running a PGlite-only suite" >&2
  exit 1
fi
export OPM_TEST_POSTGRES_URL OPM_TEST_REQUIRE_POSTGRES=1
echo "test: PostgreSQL at $OPM_TEST_POSTGRES_URL (log: $pglog)" >&2
npx vitest run "$@"
