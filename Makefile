# The two commands a newcomer needs: `make run` (set up from a fresh clone and start the tracker) and
# `make test` (install what the tests need and run the whole suite). Steps are incremental: stamp files
# make pip and npm run again only when pyproject.toml or the npm lock change.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.DEFAULT_GOAL := help
.PHONY: help install install-test run serve test check lint format bench chromium clean backup restore lock audit

help:
	@echo "make run      set up everything (venv, npm, static files, SQLite, dataset, demo) and start web + worker + beat"
	@echo "make test     install what the tests need (test extras, npm, Chromium) and run ruff and the whole suite"
	@echo "make install  only the Python and npm packages and the vendored static files"
	@echo "make check    the guard rails alone: ruff, ruff format --check, lint-imports, mypy, migrations check"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make bench    run the benchmarks in bench/ (they print their figures)"
	@echo "make backup   the database (pg_dump) and the evidence files into backups/<time>/ (BACKUP_DIR=...)"
	@echo "make restore  BACKUP=<folder> into the new, empty database of DATABASE_URL and the evidence storage"
	@echo "make lock     regenerate requirements.lock (hashes) from pyproject.toml: needs the package index"
	@echo "make audit    pip-audit the lock file against the advisory database: needs network, not part of test"

# --- Python ---------------------------------------------------------------------------------------------------
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# --- npm and the vendored static files (static/vendor/ is git-ignored) ------------------------------------------
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/vendor/.installed: node_modules/.installed scripts/vendor-static.sh
	scripts/vendor-static.sh
	touch $@

install: $(VENV)/.installed static/vendor/.installed

install-test: $(VENV)/.installed-test static/vendor/.installed

# Debian's Chromium for the browser tests (Playwright cannot download its own browsers here).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get -o DPkg::Lock::Timeout=900 update && \
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y chromium; \
	else \
		echo "make: /usr/bin/chromium is missing and we are not root: the browser tests will be skipped (CI=true fails)."; \
	fi

# --- Running ---------------------------------------------------------------------------------------------------
# Each step is safe to repeat: migrate applies what is new, the loader and the demo match records by reference.
# Links in e-mails and the printed address follow PORT unless SITE_URL is set.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_ministerial
	$(PY) manage.py seed_demo
	PORT=$(PORT) PY=$(PY) scripts/run.sh

# Start the processes without the set-up steps.
serve: export SITE_URL ?= http://127.0.0.1:$(PORT)
serve:
	PORT=$(PORT) PY=$(PY) scripts/run.sh

# --- Quality ---------------------------------------------------------------------------------------------------
# The guard rails (lint, format, import layers, types, migrations) and the suite all run; the target fails if any
# fails (pytest's 5, "no tests collected", is a failure).
test: install-test chromium
	@status=0; \
	$(MAKE) --no-print-directory check || status=$$?; \
	DJANGO_SETTINGS_MODULE=config.test_settings $(VENV)/bin/pytest $(PYTEST_ARGS) || status=$$?; \
	exit $$status

# The shape of the code: ruff (lint and format), import-linter's layers (pyproject.toml), mypy with django-stubs
# (no error allowed), and no model change without its migration.
check: $(VENV)/.installed-test
	@status=0; \
	echo "== ruff check"; $(VENV)/bin/ruff check . || status=$$?; \
	echo "== ruff format --check"; $(VENV)/bin/ruff format --check . || status=$$?; \
	echo "== lint-imports"; $(VENV)/bin/lint-imports --no-cache || status=$$?; \
	echo "== mypy"; $(VENV)/bin/mypy || status=$$?; \
	echo "== makemigrations --check"; \
	DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run || status=$$?; \
	exit $$status

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-test
	@status=0; \
	for script in bench/*.py; do \
		[ -e "$$script" ] || { echo "bench: no scripts in bench/"; break; }; \
		case "$$(basename $$script)" in _*) continue;; esac; \
		echo "== $$script"; \
		PYTHONPATH=. $(PY) "$$script" || status=$$?; \
	done; \
	exit $$status

# --- Operations (docs/deploy.md) -------------------------------------------------------------------------------
# With the environment of the deployment (DATABASE_URL, the evidence storage): `set -a; . /etc/tracker/tracker.env`.
BACKUP_DIR ?= backups/$(shell date -u +%Y%m%dT%H%M%SZ)
backup:
	PY=$(PY) scripts/backup.sh "$(BACKUP_DIR)"

restore:
	@[ -n "$(BACKUP)" ] || { echo "make restore BACKUP=<folder made by make backup>"; exit 1; }
	PY=$(PY) scripts/restore.sh "$(BACKUP)"

# The production dependencies (and the optional sentry extra) pinned with hashes; the Dockerfile installs only this.
lock: $(VENV)/.installed-test
	$(PY) -m pip install --quiet -e '.[ops]'
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --extra sentry \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

# Known vulnerabilities in the locked versions. It asks the advisory database online, so it is run on a machine
# with network access (and in CI where it has it), not by `make test`.
audit: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[ops]'
	$(VENV)/bin/pip-audit --require-hashes --disable-pip --strict -r requirements.lock

clean:
	rm -rf static/vendor node_modules $(VENV)/.installed $(VENV)/.installed-test
