#!/usr/bin/env bash
# Two gunicorn app servers on one throwaway PostgreSQL and one Redis: the 2,000-person double-submit
# burst split across both must store exactly one check-in per person, and `counts verify` find nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
exec bash scripts/with-postgres.sh bash scripts/with-redis.sh "$PY" bench/two_servers.py "$@"
