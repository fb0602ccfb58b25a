# guestloyalty — every target bootstraps .venv itself.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1

.PHONY: setup pipeline test soak lint format bench bench-real docs clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install guestloyalty with its dev tools

pipeline: $(STAMP) ## generate a default synthetic world (when data/ is empty) and run every stage
	$(BIN)/guestloyalty pipeline

test: $(STAMP) ## run the test suite
	$(BIN)/pytest -q

soak: $(STAMP) ## slow failure-safety variants: every kill point on its own, a real full disk
	$(BIN)/pytest -q --soak -m soak tests/integration

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP) ## speed and memory benchmarks (minutes)
	$(BIN)/python benchmarks/run_all.py

bench-real: $(STAMP) ## model vs BG/NBD on CDNOW, groceryElog (../shared/data) and the default world
	$(BIN)/python benchmarks/real_btyd.py

docs: $(STAMP) ## dbt docs (catalog of every gold table and column)
	$(BIN)/guestloyalty docs

clean: ## remove generated data, dbt artifacts and the virtual environment
	rm -rf data/bronze/landing data/bronze/*.duckdb* data/silver/*.duckdb* data/gold/*.duckdb* \
	  data/gold/_build data/state data/models data/truth data/dbt data/.pipeline.lock \
	  dbt_project/target dbt_project/logs .pytest_cache .ruff_cache $(VENV)
