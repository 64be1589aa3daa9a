# Two commands work on a fresh machine with Python 3.11+ and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
