# eventsvc: `make run` serves the demo, `make test` runs the whole suite. Both set everything up.
.DEFAULT_GOAL := setup
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app eventsvc
HOST ?= 127.0.0.1
PORT ?= 5000

# Refresh the pins after changing dependencies in pyproject.toml.
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements.lock

.PHONY: lock setup run serve test test-sqlite test-pg system-deps migrate seed bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	# Pinned versions first (repeatable installs), then the project itself.
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed
	@echo "eventsvc: http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving on the same machine (set SECRET_KEY and EVENTSVC_ENV=production).
serve: migrate
	$(BIN)/gunicorn -w 2 -k gthread --threads 4 -b $(HOST):$(PORT) wsgi:app

system-deps:
	bash scripts/install-system-deps.sh

test: setup system-deps
	$(BIN)/python -m pytest

test-sqlite: setup
	$(BIN)/python -m pytest -m "not e2e"

# The suite against PostgreSQL: installs and starts a throwaway server on a loopback port.
test-pg: setup
	bash scripts/with-postgres.sh $(BIN)/python -m pytest -m "not e2e"

bench: setup
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
