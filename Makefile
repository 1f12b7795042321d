# The two commands at the top of README.md: `make run` and `make test`.
# Both create the virtual environment from requirements.lock on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint format clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

run: setup
	$(BIN)/nyckeltal demo
	$(BIN)/nyckeltal run
	$(BIN)/nyckeltal scorecard --summary

test: setup
	bash scripts/install-test-dependencies.sh
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models macros

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix models macros

clean:
	rm -rf $(VENV) target logs warehouse/*.duckdb* warehouse/published expectations/uncommitted

# Speed and memory figures (benchmarks/README.md): writes benchmarks/results.md and .json.
.PHONY: benchmark
benchmark: setup
	$(BIN)/python -m nyckeltal.benchmark --scales 1,10 --repeats 3 --out benchmarks/results.md
