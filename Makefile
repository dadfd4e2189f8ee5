# The README's two commands: `make test` and `make demo`. Both start from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint format typecheck demo venv clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check provider tests benchmarks examples scripts
	$(BIN)/ruff format --check provider tests benchmarks examples scripts

typecheck: venv
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format provider tests benchmarks examples scripts
	$(BIN)/ruff check --fix provider tests benchmarks examples scripts

test: lint typecheck
	$(BIN)/pytest

demo:
	@$(PYTHON) scripts/demo.py --check-cli
	$(MAKE) venv
	$(BIN)/python scripts/demo.py

bench: venv
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo
