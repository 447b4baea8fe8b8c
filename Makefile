# ccas.vault — the two commands a newcomer needs are `make start` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
PORT2 ?= 8081
HOST ?= 127.0.0.1
ZEO_ADDRESS ?= 127.0.0.1:8100
SITE_ID ?= ccas
DATA := var/filestorage
MAILBOX := var/mailbox
SMTP_PORT ?= 8025
PYTEST_ARGS ?=
BENCH ?=
PG_DSN ?=
PG_PORT ?= 5433
BACKUPS ?= var/backups
RESTORE_TO ?= $(DATA)
DATE ?=
KEYS_BACKUP ?=
KEYS_PASSPHRASE_FILE ?=
KEY_OPTIONS = $(if $(KEYS_PASSPHRASE_FILE),--keys-passphrase-file $(KEYS_PASSPHRASE_FILE))
APT_PACKAGES := chromium fonts-dejavu-core clamav-daemon postgresql poppler-utils

.PHONY: help install test-deps start start-zeo start-pg backup restore restore-check test lint bench clean docs docs-screenshots

help:
	@echo "make start      install, create the demo site (embedded ZODB) and serve http://localhost:$(PORT)/$(SITE_ID)"
	@echo "make start-zeo  the same site behind a ZEO server and two Zope clients ($(PORT), $(PORT2))"
	@echo "make start-pg   the same site on RelStorage/PostgreSQL (PG_DSN=..., else a local cluster in var/postgresql)"
	@echo "make backup     repozo backup of $(DATA), its blobs into $(BACKUPS), its keys to KEYS_BACKUP=<other disk>"
	@echo "                (or encrypted: KEYS_PASSPHRASE_FILE=<file>); refused when the keys have nowhere to go"
	@echo "make restore    rebuild $(RESTORE_TO) (must hold no Data.fs) from $(BACKUPS) (DATE=YYYY-MM-DD-HH-MM-SS: that state)"
	@echo "                with the keys (KEYS_BACKUP= or KEYS_PASSPHRASE_FILE=); checks every key opens a paper"
	@echo "make restore-check  the monthly drill: latest backup restored in a temporary folder, checked, one line"
	@echo "make test       install everything the tests need and run ruff + the whole pytest suite"
	@echo "make bench      run the benchmarks in bench/ (BENCH=ged_letters: only that one)"
	@echo "make install    only create $(VENV) and install the add-on with its test extras"
	@echo "make docs       build the documentation (Sphinx + MyST, warnings are errors) into docs/_build/html"
	@echo "make docs-screenshots  re-run the browser tests and copy their screenshots into docs/images/usager"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python setup.py constraints.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt pip setuptools wheel
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Debian packages the tests drive (Chromium for the browser tests).
test-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  echo "Installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: install
	$(BIN)/ruff check .

test: install test-deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

# The documentation: Sphinx and MyST come with the test extras (pinned in constraints.txt).
docs: install
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "Documentation: docs/_build/html/index.html"

# The user guide's pictures are the browser tests' screenshots (tests/screenshots/, not committed).
docs-screenshots: install test-deps
	$(BIN)/pytest -q -p no:cacheprovider tests/test_public_journeys.py tests/test_public_skin_browser.py tests/test_camera_browser.py \
	  tests/test_account_browser.py tests/test_self_service_browser.py \
	  tests/test_appointments_browser.py tests/test_opening_wizard_browser.py tests/test_indicators.py
	$(BIN)/python docs/update_screenshots.py

bench: install
	$(BIN)/python bench/run.py $(BENCH)

# The demo's mailbox (var/mailbox, port SMTP_PORT) runs beside the site and stops with it:
# every mail and SMS the demo site sends is a file there (scripts/mailbox.py).
start: install
	$(BIN)/ccas-vault-instance init var/instance --data $(DATA) --host $(HOST) --port $(PORT) --sms-outbox $(MAILBOX) >/dev/null
	@$(BIN)/ccas-vault-instance mailbox $(MAILBOX) --port $(SMTP_PORT) & mailbox=$$!; \
	trap 'kill $$mailbox 2>/dev/null' EXIT INT TERM; \
	$(BIN)/ccas-vault-instance site var/instance --site-id $(SITE_ID) --demo --url http://localhost:$(PORT) --smtp-port $(SMTP_PORT) && \
	echo "Serving http://$(subst 0.0.0.0,localhost,$(HOST)):$(PORT)/$(SITE_ID) — mails and SMS the site sends: $(MAILBOX)/ — Ctrl-C to stop." && \
	$(BIN)/runwsgi var/instance/etc/zope.ini

start-zeo: install
	$(BIN)/ccas-vault-instance zeo var/zeo --data $(DATA) --address $(ZEO_ADDRESS) >/dev/null
	$(BIN)/ccas-vault-instance init var/client1 --data $(DATA) --host $(HOST) --port $(PORT) --zeo-address $(ZEO_ADDRESS) >/dev/null
	$(BIN)/ccas-vault-instance init var/client2 --data $(DATA) --host $(HOST) --port $(PORT2) --zeo-address $(ZEO_ADDRESS) --clock-interval 0 >/dev/null
	@pids=""; trap 'kill $$pids 2>/dev/null; wait' INT TERM EXIT; \
	$(BIN)/runzeo -C var/zeo/etc/zeo.conf & pids="$$!"; \
	$(BIN)/ccas-vault-instance site var/client1 --site-id $(SITE_ID) --demo --url http://localhost:$(PORT) && \
	echo "Serving http://localhost:$(PORT)/$(SITE_ID) and http://localhost:$(PORT2)/$(SITE_ID) through ZEO $(ZEO_ADDRESS) — Ctrl-C to stop." && \
	{ $(BIN)/runwsgi var/client1/etc/zope.ini & pids="$$pids $$!"; \
	  $(BIN)/runwsgi var/client2/etc/zope.ini & pids="$$pids $$!"; wait; }

# RelStorage on PostgreSQL (docs/deploy.md): PG_DSN names the database, else a local
# demo cluster is started in var/postgresql (port PG_PORT) and stopped on exit.
start-pg: install
	@set -e; dsn="$(PG_DSN)"; \
	if [ -z "$$dsn" ]; then \
	  dsn=$$($(BIN)/ccas-vault-postgres start var/postgresql --port $(PG_PORT)); \
	  trap '$(BIN)/ccas-vault-postgres stop var/postgresql' EXIT INT TERM; \
	fi; \
	$(BIN)/ccas-vault-instance init var/instance-pg --host $(HOST) --port $(PORT) --relstorage-dsn "$$dsn" >/dev/null; \
	$(BIN)/ccas-vault-instance site var/instance-pg --site-id $(SITE_ID) --demo --url http://localhost:$(PORT); \
	echo "Serving http://localhost:$(PORT)/$(SITE_ID) on PostgreSQL ($$dsn) — Ctrl-C to stop."; \
	$(BIN)/runwsgi var/instance-pg/etc/zope.ini

# Backups of the FileStorage (make start, make start-zeo): repozo first, then the blobs.
# The key folder (var/ccas-vault-keys) goes to KEYS_BACKUP (another disk) or is encrypted with
# the passphrase of KEYS_PASSPHRASE_FILE (or $$CCAS_VAULT_BACKUP_PASSPHRASE); never beside the data.
backup: install
	$(BIN)/ccas-vault-backup backup --data $(DATA) --to $(BACKUPS) \
	  $(if $(KEYS_BACKUP),--keys-to $(KEYS_BACKUP)) $(KEY_OPTIONS)

restore: install
	$(BIN)/ccas-vault-backup restore --from $(BACKUPS) --data $(RESTORE_TO) $(if $(DATE),--date $(DATE)) \
	  $(if $(KEYS_BACKUP),--keys-from $(KEYS_BACKUP)) $(KEY_OPTIONS)

# The monthly restore drill (cron: see docs/deploy.md); exit 0 only when the backup restores clean.
restore-check: install
	@$(BIN)/ccas-vault-backup check --from $(BACKUPS) \
	  $(if $(KEYS_BACKUP),--keys-from $(KEYS_BACKUP)) $(KEY_OPTIONS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
