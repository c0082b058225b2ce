# Two commands set everything up on a machine with only python3 (>= 3.11) and make:
#   make run   - create .venv, install, migrate the SQLite database, serve the example app
#   make test  - create .venv, install, format check, lint, mypy --strict, import contract, docs build, tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck contracts pytest docs bench clean

# Reinstall only when pyproject.toml changes: the stamp is newer than it otherwise.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP) .env
	$(BIN)/framework db upgrade --app 'example_app.app:build_app()'
	$(BIN)/uvicorn example_app.app:build_app --factory --host $(HOST) --port $(PORT)

# A secret key generated once per checkout, so that sign-ins survive a restart of `make run`.
.env:
	@$(PYTHON) -c "import secrets; print('SECRET_KEY=' + secrets.token_urlsafe(32))" > .env

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck contracts docs pytest

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir build/site

# The peers (Starlette, FastAPI, Litestar, BlackSheep) live in their own venv so that they can
# never leak into the framework's test environment.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp

$(BENCH_STAMP): pyproject.toml
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BENCH_VENV)/bin/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) build .mypy_cache .ruff_cache
