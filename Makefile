# Lianban — two commands: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium
PROMTOOL := /usr/bin/promtool
ALERTMANAGER := /usr/bin/prometheus-alertmanager

.PHONY: run test install browser monitoring lint typecheck unit workflows integration e2e faults bench bench-audit histories docs messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Debian chromium for the browser tests (Playwright drives it; never `playwright install`),
## and a CJK font so the inbox screenshot is legible. Installed only when chromium is missing.
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei

browser: $(CHROMIUM)

## Debian's Prometheus (ships promtool) and Alertmanager (ships amtool): `make lint` tests the
## alert rules with promtool, the end-to-end alert test runs both servers on ports of its own.
## --no-install-recommends: no node exporter. Installing must not leave daemons running: where
## systemd runs they are stopped and disabled at once (in containers policy-rc.d or the missing
## init system already keeps them from starting); nothing of ours uses ports 9090/9093.
$(PROMTOOL) $(ALERTMANAGER):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager
	if [ -d /run/systemd/system ]; then systemctl disable --now prometheus prometheus-alertmanager || true; fi

monitoring: $(PROMTOOL) $(ALERTMANAGER)

## Start the embedded stack (Temporal dev server, Kafka-API broker, SQLite) and every process.
run: install
	$(BIN)/lianban dev

## The whole suite: lint, types, unit, workflow, integration and end-to-end tests.
## Its temporary files under the checkout: pytest keeps only the last three sessions' folders in
## /tmp/pytest-of-$USER, so another pytest on the machine would delete a running suite's
## databases. (The other "disk I/O error" seen in the suite was a test reading lianban.db in its
## own process, which drops SQLite's POSIX locks: tests/utils/sqlite_files.py.)
## In two runs: unit, workflow and integration tests spread over TEST_WORKERS processes
## (pytest-xdist, a file to a process: each starts servers of its own, and they mostly wait on
## them), then end-to-end, benchmark smoke and fault tests one at a time (the browser and the
## fault clusters want the machine; the fault table is printed by the run that holds them).
TEST_WORKERS ?= 2
SERIAL_TESTS := tests/e2e tests/bench tests/faults
test: install lint typecheck browser monitoring
	mkdir -p $(CURDIR)/.pytest-tmp
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --basetemp=$(CURDIR)/.pytest-tmp/parallel \
		$(foreach t,$(SERIAL_TESTS),--ignore=$(t)) $(PYTEST_ARGS) tests
	$(BIN)/pytest -q --basetemp=$(CURDIR)/.pytest-tmp/serial $(PYTEST_ARGS) $(SERIAL_TESTS)

lint: install monitoring
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m store.migrate check
	$(BIN)/python -m entrypoints.cli.deploy_check
	$(PROMTOOL) check config deploy/prometheus/prometheus.yaml
	$(PROMTOOL) test rules deploy/prometheus/alerts.test.yaml
	amtool check-config deploy/alertmanager/alertmanager.yaml
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(CURDIR)/site

typecheck: install
	$(BIN)/mypy .

unit: install
	$(BIN)/pytest -q tests/unit

workflows: install
	$(BIN)/pytest -q tests/workflows

integration: install
	$(BIN)/pytest -q tests/integration

e2e: install browser monitoring
	$(BIN)/pytest -q tests/e2e

## Processes killed, servers restarted, connections cut; prints the table of lost/doubled/recovery.
faults: install
	$(BIN)/pytest -q tests/faults

bench: install
	$(BIN)/python -m bench.throughput

## Audit: replay/verify of a 200-event case, verify of 10,000 cases (SQLite; add ARGS=--postgres).
bench-audit: install
	$(BIN)/python -m bench.audit $(ARGS)

## Re-export tests/histories/*.json from the current workflow code (after a patched change).
histories: install
	$(BIN)/python -m tests.histories.export

## The message catalog: collect every marked word into lianban.pot and add the new ones to each
## language's .po (then write their words there; tests/unit/test_messages.py lists the gaps).
## Nothing to compile: the .po files are read at start-up (infra/i18n/catalog.py).
I18N := infra/i18n
messages: install
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg -k NP_:1c,2 --no-location --sort-output \
		--project Lianban -w 100 -o $(I18N)/locale/lianban.pot entrypoints infra services
	$(BIN)/pybabel update -i $(I18N)/locale/lianban.pot -d $(I18N)/locale -D lianban \
		--no-fuzzy-matching --ignore-obsolete -w 100

## The docs site (mkdocs-material), offline, into site/.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(CURDIR)/site

clean:
	rm -rf site var .pytest_cache .mypy_cache .ruff_cache
