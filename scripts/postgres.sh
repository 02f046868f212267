#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the test suite and prints its URL.
# Usage: scripts/postgres.sh start DIR [PORT] [LOG]  |  scripts/postgres.sh stop DIR
# Without PORT it takes the first free port from 54329 up. The server log goes to LOG
# (default DIR.log, beside the data dir, which initdb needs empty); when the server cannot start, the log's tail is printed and
# the script exits 1 — it never prints a URL for a server that is not running.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}; port=${3:-}; log=${4:-${dir%/}.log}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
case "$cmd" in
  start)
    if [ -z "$port" ]; then
      port=54329
      while port_taken "$port"; do port=$((port + 1)); [ "$port" -lt 54429 ] || { echo "postgres.sh: no free port in 54329..54428" >&2; exit 1; }; done
    elif port_taken "$port"; then
      echo "postgres.sh: port $port on 127.0.0.1 is already taken" >&2; exit 1
    fi
    mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    touch "$log"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$log"
    if [ ! -f "$dir/PG_VERSION" ]; then as_pg "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null; fi
    if ! as_pg "$bin/pg_ctl" -D "$dir" -l "$log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on -c synchronous_commit=on" start >/dev/null; then
      echo "postgres.sh: PostgreSQL did not start on 127.0.0.1:$port; the end of its log ($log):" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR [PORT] [LOG]" >&2; exit 2 ;;
esac
