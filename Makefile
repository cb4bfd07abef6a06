# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test test-deps setup lint types unit check-clean clean bench catalogues

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

# The message catalogues (README "Adding a language"): every message of the code and the report templates into
# locales/messages.pot, then the catalogue of each language of b1mg_maturity.i18n.LANGUAGES brought up to date
# (new messages empty, changed ones marked fuzzy for a translator to check), or started when it is new.
# The app compiles the catalogues itself when it starts.
CATALOGUE_KEYWORDS := -k _ -k _n:1,2 -k _p:1c,2 -k N_
catalogues: setup
	$(BIN)/pybabel extract -F babel.cfg $(CATALOGUE_KEYWORDS) --sort-by-file --omit-header --no-wrap \
		-o locales/messages.pot .
	for lang in $$($(BIN)/python -c "from b1mg_maturity.i18n import LANGUAGES as L; print(*L[1:])"); do \
		if [ -f locales/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i locales/messages.pot -d locales -l $$lang --no-wrap --ignore-obsolete \
				--ignore-pot-creation-date || exit 1; \
		else \
			$(BIN)/pybabel init -i locales/messages.pot -d locales -l $$lang --no-wrap || exit 1; \
		fi; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
