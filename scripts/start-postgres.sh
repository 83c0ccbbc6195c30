#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the tests and print its SQLAlchemy URL.
# Installs Debian's postgresql package when no server binaries are found (needs root).
set -euo pipefail
port="${POLICYLENS_PG_PORT:-55432}"
data="${POLICYLENS_PG_DIR:-/tmp/policylens-pg}"

find_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then found=$(dirname "$(command -v pg_ctl)"); fi
  echo "$found"
}

bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "installing postgresql from the system package manager…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

run_as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" = "0" ]; then mkdir -p "$data" && chown postgres "$data"; else mkdir -p "$data"; fi
if [ ! -f "$data/PG_VERSION" ]; then
  run_as_postgres "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >&2
fi
if ! run_as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  run_as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >&2
fi
if ! run_as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
    "select 1 from pg_database where datname='policylens_test'" | grep -q 1; then
  run_as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres policylens_test
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$port/policylens_test"
