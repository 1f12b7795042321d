# The two commands at the top of README.md: `make run` and `make test`.
# Both create the virtual environment on first use: `make setup` (and `make run`) install the
# core, requirements.lock; `make test` (and lint, format) add the extras, requirements-dev.lock
# (test tools, the PostgreSQL and Spark engines, the semantic layer). scripts/lock.sh writes both.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup dev run test lint format clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The extras: everything `make test` needs beyond the core.
dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@

run: setup
	$(BIN)/nyckeltal demo
	$(BIN)/nyckeltal run
	$(BIN)/nyckeltal scorecard --summary

# TEST_WORKERS=2 runs the suite on two pytest-xdist workers (one module per worker at a time;
# the shared demo warehouses are built once either way: tests/conftest.py). The default, 0,
# runs it in one process: see benchmarks/README.md, "Test suite", for why.
TEST_WORKERS ?= 0

# --durations: the suite ends with its 20 slowest steps (setup, call, teardown), so that every
# CI log says where the time went.
test: dev
	bash scripts/install-test-dependencies.sh
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=20

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models macros

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix models macros

clean:
	rm -rf $(VENV) target logs warehouse/*.duckdb* warehouse/published expectations/uncommitted

# Speed and memory figures (benchmarks/README.md): writes benchmarks/results.md and .json.
# `make benchmark` = scales demo and s; `make bench SCALE=m [REPEATS=3] [MEMORY=10GiB]` = one
# scale (the other scales of results.json are kept).
SCALE ?= demo
REPEATS ?= 3
.PHONY: benchmark bench
benchmark: setup
	$(BIN)/nyckeltal bench --scale demo --scale s --repeats $(REPEATS) --out benchmarks/results.md

bench: setup
	$(BIN)/nyckeltal bench --scale $(SCALE) --repeats $(REPEATS) --out benchmarks/results.md \
		$(if $(MEMORY),--duckdb-memory-limit $(MEMORY))

# Generated files of the KPI catalogue (README KPI table, the union's family list) and the
# Great Expectations project (CONTRIBUTING.md).
.PHONY: catalogue
catalogue: setup
	$(BIN)/python -m nyckeltal.catalogue --write
	$(BIN)/python -m nyckeltal.quality.project
