# ModelSnapper — two commands on a fresh machine: `make run`, `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install install-run run prod worker scheduler test test-mongo test-clock lint format migrate seed check-mongo check-mongo-queries bench benchmark audit clean

RUN_STAMP := $(VENV)/.installed-run

# Everything, test and lint tools included (make test, make lint).
install: $(STAMP)
# Only what running needs (make run): no test server, browser driver or linters.
install-run: $(RUN_STAMP)

# Re-installs only when a requirements file changed.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP) $(RUN_STAMP)

$(RUN_STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(RUN_STAMP)

migrate: install-run
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Development: serves on 127.0.0.1:$(PORT) with a task worker and the scheduler beside
# it, supervised (a worker that dies is started again); Ctrl-C stops all of them.
# SITE_URL (links in emails) follows PORT unless set.
run: seed
	@$(BIN)/python manage.py ensure_local_signer
	PORT=$(PORT) $(BIN)/python manage.py serve

# Production: runtime requirements only, static files collected (hashed, gzip and
# Brotli), migrations, then gunicorn (WEB_CONCURRENCY workers on PORT), WORKER_PROCESSES
# task workers and the scheduler, supervised. Needs DJANGO_SECRET_KEY and
# DJANGO_ALLOWED_HOSTS (README: Production).
prod: install-run
	DJANGO_ENV=production $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=production $(BIN)/python manage.py migrate --noinput
	DJANGO_ENV=production PORT=$(PORT) $(BIN)/python manage.py serve --production

# One task worker with a heartbeat: RQ when REDIS_URL is set (run N of these at scale),
# else the database queue. The scheduler: one per deployment.
worker: install-run
	$(BIN)/python manage.py run_worker

scheduler: install-run
	$(BIN)/python manage.py run_scheduler

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite with the clock moved to calendar edges, then in a far time zone.
test-clock: install
	PYTEST_ARGS="$(PYTEST_ARGS)" scripts/test-clock

# The whole suite in Mongo mode against SecantusDB (a wire-compatible test server).
test-mongo: install
	PYTEST_ARGS="$(PYTEST_ARGS)" scripts/test-mongo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Mongo mode without a server: system check, then migrations clean in both modes.
MONGO_OFFLINE_ENV := MONGODB_URI=mongodb://127.0.0.1:27999/modelsnapper REDIS_URL=redis://127.0.0.1:6379/0
check-mongo: install
	$(MONGO_OFFLINE_ENV) $(BIN)/python manage.py check --database default
	DJANGO_SETTINGS_MODULE=modelsnapper.settings_mongo_offline $(BIN)/python manage.py makemigrations --check --dry-run
	env -u MONGODB_URI -u DJANGO_SETTINGS_MODULE $(BIN)/python manage.py makemigrations --check --dry-run

# The whole suite on SQLite, every query it runs also compiled for MongoDB (offline).
check-mongo-queries: install
	$(BIN)/python -m pytest -p modelsnapper.tests.mongo_shadow $(PYTEST_ARGS)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Known vulnerabilities of the installed pins (pip-audit); says so when its service is unreachable.
audit: install
	scripts/audit

# Every page at 10 vs 10 000 rows, the engine, overhead, memory, req/s (a few minutes);
# prints a table and writes bench/results.json. BENCH_ARGS="--repeat 3" to pass options.
bench: install
	$(BIN)/python manage.py bench $(BENCH_ARGS)

benchmark: bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
