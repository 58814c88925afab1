# eventsvc: `make run` serves the demo, `make test` runs the whole suite. Both set everything up.
.DEFAULT_GOAL := setup
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app eventsvc
HOST ?= 127.0.0.1
PORT ?= 5000

DEV_STAMP := $(VENV)/.installed-dev-stamp

# Refresh the pins after changing dependencies in pyproject.toml: requirements.lock is what production
# installs (runtime only); requirements-dev.lock adds the test and lint tools on the same runtime pins.
lock: $(VENV)/bin/uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 -q \
		-o requirements-dev.lock

.PHONY: lock setup setup-dev run serve serve-config lint test test-sqlite test-pg system-deps migrate seed bench clean

$(VENV)/bin/uv:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv

$(STAMP): pyproject.toml requirements.lock | $(VENV)/bin/uv
	# Pinned versions first (repeatable installs), then the project itself.
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml requirements-dev.lock | $(VENV)/bin/uv
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements-dev.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	touch $(DEV_STAMP)

# Runtime packages only: what `make run`, `make serve` and production install.
setup: $(STAMP)

# Runtime plus the test and lint tools.
setup-dev: $(DEV_STAMP)

migrate: setup
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed
	@echo "eventsvc: http://$(HOST):$(PORT)/  (Ctrl+C to stop; the SMS notice worker runs beside it)"
	@$(FLASK) notices deliver & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving on the same machine (set SECRET_KEY and EVENTSVC_ENV=production).
serve: serve-config migrate
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py -b $(HOST):$(PORT) wsgi:app

# The app refuses to serve with the development key (eventsvc/config.py: secret_key_problem); say what to set.
serve-config:
	@if [ "$${#SECRET_KEY}" -lt 32 ]; then \
		echo "make serve: set a secret key of at least 32 bytes and the environment first, e.g."; \
		echo "  export EVENTSVC_ENV=production SECRET_KEY=\"\$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')\""; \
		echo "  export DATABASE_URL=postgresql+psycopg://USER@HOST/DB EVENTSVC_SMS_BACKEND=aliyun   # see README"; \
		exit 1; fi

system-deps:
	bash scripts/install-system-deps.sh

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

# Redis (rate limits shared between app servers) runs on a throwaway loopback port for the suite.
test: lint system-deps
	bash scripts/with-redis.sh $(BIN)/python -m pytest

test-sqlite: setup-dev
	$(BIN)/python -m pytest -m "not e2e"

# The suite against PostgreSQL: installs and starts a throwaway server on a loopback port.
test-pg: setup-dev
	bash scripts/with-redis.sh bash scripts/with-postgres.sh $(BIN)/python -m pytest -m "not e2e"

# SQLite, ~10-15 min on 2 cores; JSON lines, never asserted. Sizes are flags of each script (see README).
bench: setup-dev
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done
	$(BIN)/python bench/read_scale.py
	$(BIN)/python bench/checkin_load.py
	$(BIN)/python bench/checkin_dashboards.py --rounds 3
	$(BIN)/python bench/export_memory.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
