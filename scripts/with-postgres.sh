#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at a throwaway PostgreSQL on a loopback port.
# Installs Debian's postgresql when missing (needs root); initdb runs as the postgres user.
set -euo pipefail
PORT="${PGTEST_PORT:-54329}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends postgresql >/dev/null
fi
BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")"
DIR="$(mktemp -d /tmp/eventsvc-pg.XXXXXX)"
chown postgres "$DIR" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
cleanup() { as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_pg "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres eventsvc_test
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/eventsvc_test"
echo "with-postgres: $DATABASE_URL"
"$@"
