# Lianban — two commands: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck unit workflows integration e2e bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Start the embedded stack (Temporal dev server, Kafka-API broker, SQLite) and every process.
run: install
	$(BIN)/lianban dev

## The whole suite: lint, types, unit, workflow, integration and end-to-end tests.
test: install lint typecheck
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy .

unit: install
	$(BIN)/pytest -q tests/unit

workflows: install
	$(BIN)/pytest -q tests/workflows

integration: install
	$(BIN)/pytest -q tests/integration

e2e: install
	$(BIN)/pytest -q tests/e2e

bench: install
	$(BIN)/python -m bench.throughput

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
