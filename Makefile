# The two commands: `make run` and `make test`. Both need only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test faults e2e install lint format migrate seed worker bench clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# Web server on 127.0.0.1:8000 + Celery worker + beat, stopped together by Ctrl-C.
run: install
	@mkdir -p var
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	@test -f var/.seeded || (DEBUG=true $(BIN)/python manage.py seed_demo && touch var/.seeded)
	@echo; echo "Handoff: http://127.0.0.1:8000/"; cat var/demo-logins.txt 2>/dev/null || true; echo
	PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=true $(BIN)/honcho start -f Procfile.dev

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest --ignore=tests/e2e -m "not slow" $(PYTEST_ARGS)

# Fault and load tests (tests/faults, marked slow): worker SIGKILLs, Redis and PostgreSQL
# restarts, mixed load, on private PostgreSQL and Redis servers they start themselves.
# FAULTS_FULL=1 runs the volumes of issue #9 (see docs/reliability.md).
faults: install
	$(BIN)/pytest tests/faults -m slow -s -v $(PYTEST_ARGS)

# Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium).
e2e: install
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest tests/e2e --screenshot=only-on-failure --output=var/e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput

seed: install
	DEBUG=true $(BIN)/python manage.py seed_demo

# Scale benchmarks (PostgreSQL and Redis on 127.0.0.1; not part of `make test`). Seeds the
# seed_scale data once, runs every benchmark with its comparison, rewrites the results
# table in docs/performance.md. Takes about an hour on 2 cores.
BENCH_PG := postgres://postgres@127.0.0.1:5432
BENCH_DB ?= handoff_scale
BENCH_REDIS ?= redis://127.0.0.1:6379/10
BENCH_ENV := DEBUG=true REDIS_URL=$(BENCH_REDIS)

bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@mkdir -p var/bench && rm -f var/bench/results.jsonl
	@for db in $(BENCH_DB) $(BENCH_DB)_import $(BENCH_DB)_messaging $(BENCH_DB)_interceptions; do \
		createdb -h 127.0.0.1 -U postgres $$db 2>/dev/null || true; \
		$(BENCH_ENV) DATABASE_URL=$(BENCH_PG)/$$db $(BIN)/python manage.py migrate --noinput -v 0; \
	done
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG)/$(BENCH_DB) $(BIN)/python manage.py seed_scale
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG)/$(BENCH_DB) $(BIN)/python bench/scale.py search
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG)/$(BENCH_DB)_import $(BIN)/python bench/bench_import.py --worker --compare
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG)/$(BENCH_DB)_messaging $(BIN)/python bench/bench_messaging.py
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG)/$(BENCH_DB)_interceptions $(BIN)/python bench/bench_interceptions.py
	BENCH_INBOUND_DB=$(BENCH_DB)_inbound BENCH_REDIS_URL=$(BENCH_REDIS) $(BIN)/python bench/bench_inbound.py
	$(BIN)/python bench/scale.py report

clean:
	rm -rf var/celery var/cache var/e2e var/test-*.sqlite3*
