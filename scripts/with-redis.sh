#!/usr/bin/env bash
# Run a command with EVENTSVC_RATELIMIT_STORAGE_URL pointing at a throwaway redis-server on a loopback port.
# Installs Debian's redis-server when missing (needs root). No persistence: nothing is written to disk.
# CI wraps the suite in it (it composes with with-postgres.sh):
#   bash scripts/with-redis.sh bash scripts/with-postgres.sh .venv/bin/python -m pytest -m "not e2e"
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends redis-server >/dev/null
fi
PORT="${REDISTEST_PORT:-}"
if [ -z "$PORT" ]; then
  # Ask the kernel for a free port (set REDISTEST_PORT to choose one); on a clash redis-server fails loudly.
  PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
DIR="$(mktemp -d /tmp/eventsvc-redis.XXXXXX)"
redis-server --bind 127.0.0.1 --port "$PORT" --protected-mode yes --save '' --appendonly no \
  --dir "$DIR" --logfile "$DIR/log" --daemonize no &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 50); do
  if redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then echo "with-redis: redis-server failed to start:" >&2; cat "$DIR/log" >&2; exit 1; fi
  sleep 0.1
done
export EVENTSVC_RATELIMIT_STORAGE_URL="redis://127.0.0.1:$PORT/0"
echo "with-redis: $EVENTSVC_RATELIMIT_STORAGE_URL"
"$@"
