# guestloyalty — every target bootstraps .venv itself.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LOCK_VENV := .venv-lock
LATEST := .venv-latest
UV := uv==0.13.8
export DO_NOT_TRACK := 1

.PHONY: setup pipeline test test-latest lock soak lint format bench bench-real bench-spark docs clean

# The venv installs exactly requirements.lock (every package pinned, with hashes; build tools
# and pip too), then the package itself without dependencies; pip check proves the lock still
# satisfies pyproject's ranges. A change to either file reinstalls.
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "error: $(LOCK) does not satisfy pyproject.toml: run make lock"; exit 1; }
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install guestloyalty with its dev tools

pipeline: $(STAMP) ## generate a default synthetic world (when data/ is empty) and run every stage
	$(BIN)/guestloyalty pipeline

test: $(STAMP) ## run the test suite
	$(BIN)/pytest -q

test-latest: ## the suite on the newest versions pyproject allows, in .venv-latest (not the lock)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found"; exit 1; }
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade pip
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev,spark]"
	@$(LATEST)/bin/pip freeze | grep -iE '^(duckdb|dbt-core|dbt-duckdb|polars|xgboost[a-z-]*)=='
	$(LATEST)/bin/pytest -q

lock: ## pin every dependency with hashes into requirements.lock (UPGRADE=1: newest allowed)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found"; exit 1; }
	@test -x $(LOCK_VENV)/bin/uv || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet "$(UV)"; }
	$(PYTHON) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"] + ["pip"]))' \
	  | $(LOCK_VENV)/bin/uv pip compile pyproject.toml - --extra dev --extra spark --universal --python-version 3.11 \
	    --generate-hashes --custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade) -o $(LOCK)

soak: $(STAMP) ## slow failure-safety variants: every kill point on its own, a real full disk
	$(BIN)/pytest -q --soak -m soak tests/integration

lint: $(STAMP) ## ruff lint and format check; sqlfluff on dbt_project/ (dbt templater, DuckDB)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	@# the dbt templater compiles the project: point its profile at an empty bronze file
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(BIN)/python -c "import duckdb, sys; duckdb.connect(sys.argv[1]).close()" "$$tmp/bronze.duckdb" && \
	  GUESTLOYALTY_BRONZE_PATH="$$tmp/bronze.duckdb" GUESTLOYALTY_SILVER_PATH="$$tmp/silver.duckdb" \
	  GUESTLOYALTY_GOLD_BUILD_PATH="$$tmp/gold.duckdb" GUESTLOYALTY_HASH_KEY=lint \
	  $(BIN)/sqlfluff lint dbt_project

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP) ## speed and memory benchmarks (minutes)
	$(BIN)/python benchmarks/run_all.py

bench-real: $(STAMP) ## model vs BG/NBD on CDNOW, groceryElog (../shared/data), the default and changing worlds
	$(BIN)/python benchmarks/real_btyd.py

bench-spark: $(STAMP) ## the pipeline on Spark local mode next to DuckDB, 100,000 guests (needs Java 17+)
	$(BIN)/python benchmarks/bench_spark.py

docs: $(STAMP) ## dbt docs (catalog of every gold table and column)
	$(BIN)/guestloyalty docs

clean: ## remove generated data, dbt artifacts and the virtual environment
	rm -rf data/bronze/landing data/bronze/*.duckdb* data/silver/*.duckdb* data/gold/*.duckdb* \
	  data/gold/_build data/state data/models data/truth data/dbt data/spark data/.pipeline.lock \
	  dbt_project/target dbt_project/logs .pytest_cache .ruff_cache $(VENV) $(LOCK_VENV) $(LATEST)
