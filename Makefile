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
# `serve` migrates the database and loads the sign-in page once, then starts Streamlit (b1mg_maturity/startup.py).
run: setup
	$(BIN)/b1mg-maturity demo --if-empty
	@echo "Open http://localhost:$(PORT) and sign in with one of the accounts above."
	$(BIN)/b1mg-maturity serve --server.port $(PORT) --server.headless true

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

# Every speed benchmark (benchmarks/bench_*.py), each beside a baseline measured in the same run, then one
# table of all of them; exits non-zero when one failed (benchmarks/__main__.py).
bench: setup test-deps
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
