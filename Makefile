# Two commands work on a fresh machine with Python 3.11+ and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench bench-production bench-processes bench-notify-processes clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e '.[test]'
	touch $(STAMP)

install: $(STAMP)
	$(PY) -m bot.catalogues

run: install
	$(PY) -m bot

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy --strict core/
	$(PY) -m mypy --strict --warn-unused-ignores bot handlers
	$(VENV)/bin/lint-imports

test: install lint
	$(PY) -m pytest -q

bench: install
	$(PY) bench/core_estimate.py
	$(PY) bench/dialog.py
	$(PY) bench/notify.py

# The production profile and several processes (bench/processes.py; bench/notify.py --processes:
# N outbox senders, one token): PostgreSQL + Redis; each run creates and drops its own database on
# that server. Unreachable: one line "skipped: …", exit 0.
BENCH_DATABASE ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
BENCH_REDIS ?= redis://127.0.0.1:6379/14
BENCH_PROCESSES ?= 2

bench-production: install
	$(PY) bench/dialog.py --database $(BENCH_DATABASE) --redis $(BENCH_REDIS)

bench-processes: install
	$(PY) bench/dialog.py --processes $(BENCH_PROCESSES) --database $(BENCH_DATABASE) --redis $(BENCH_REDIS)
	$(PY) bench/notify.py --processes $(BENCH_PROCESSES) --database $(BENCH_DATABASE) --redis $(BENCH_REDIS)

# Only the notifications across processes (N outbox senders, one token, the pace shared in Redis).
bench-notify-processes: install
	$(PY) bench/notify.py --processes $(BENCH_PROCESSES) --database $(BENCH_DATABASE) --redis $(BENCH_REDIS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
