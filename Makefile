# Doum — the two commands that matter: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check bench clean demo

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Doum needs $(PY) on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Set up, migrate, seed demo data (first time) and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/doum run --demo

## The whole test suite (installs what it needs)
test: $(STAMP)
	$(BIN)/python -m pytest -q $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check doum tests bench
	$(BIN)/ruff format --check doum tests bench

typecheck: $(STAMP)
	$(BIN)/mypy doum

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/api_tickets.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## Seed demo data into the database (refuses when tickets exist)
demo: $(STAMP)
	$(BIN)/doum demo
