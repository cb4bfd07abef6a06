# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test test-deps setup lint types unit check-clean clean bench

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# The app on the embedded SQLite database (or B1MG_DATABASE_URL), filled with demo data when empty.
run: setup
	$(BIN)/b1mg-maturity demo --if-empty
	@echo "Open http://localhost:$(PORT) and sign in with one of the accounts above."
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: setup
	$(BIN)/mypy b1mg_maturity app.py benchmarks tests

# System programs the tests need (PostgreSQL server, Chromium): installed via apt-get when root.
test-deps:
	bash scripts/ensure-test-deps.sh

# One pytest worker per CPU (pytest-xdist; without psutil "auto" counts the CPUs this process may use:
# 2 on the CI machine, the same as -n 2 there). The longest tests start first (tests/conftest.py).
unit: setup test-deps
	$(BIN)/pytest -q -n auto --durations=10

test: lint types unit

# Every speed benchmark; each prints its figures beside a baseline run in the same process.
bench: setup test-deps
	set -e; for bench in benchmarks/bench_*.py; do \
		name=$$(basename $$bench .py); echo "== $$name"; $(BIN)/python -m benchmarks.$$name; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
