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
PYTEST_ARGS ?=
BENCH ?=
APT_PACKAGES := chromium fonts-dejavu-core

.PHONY: help install test-deps start start-zeo test lint bench clean

help:
	@echo "make start      install, create the demo site (embedded ZODB) and serve http://localhost:$(PORT)/$(SITE_ID)"
	@echo "make start-zeo  the same site behind a ZEO server and two Zope clients ($(PORT), $(PORT2))"
	@echo "make test       install everything the tests need and run ruff + the whole pytest suite"
	@echo "make bench      run the benchmarks in bench/ (BENCH=ged_letters: only that one)"
	@echo "make install    only create $(VENV) and install the add-on with its test extras"

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

bench: install
	$(BIN)/python bench/run.py $(BENCH)

start: install
	$(BIN)/ccas-vault-instance init var/instance --data $(DATA) --host $(HOST) --port $(PORT) >/dev/null
	$(BIN)/ccas-vault-instance site var/instance --site-id $(SITE_ID) --demo --url http://localhost:$(PORT)
	@echo "Serving http://localhost:$(PORT)/$(SITE_ID) — Ctrl-C to stop."
	$(BIN)/runwsgi var/instance/etc/zope.ini

start-zeo: install
	$(BIN)/ccas-vault-instance zeo var/zeo --data $(DATA) --address $(ZEO_ADDRESS) >/dev/null
	$(BIN)/ccas-vault-instance init var/client1 --data $(DATA) --host $(HOST) --port $(PORT) --zeo-address $(ZEO_ADDRESS) >/dev/null
	$(BIN)/ccas-vault-instance init var/client2 --data $(DATA) --host $(HOST) --port $(PORT2) --zeo-address $(ZEO_ADDRESS) >/dev/null
	@set -m; trap 'kill 0' INT TERM EXIT; \
	$(BIN)/runzeo -C var/zeo/etc/zeo.conf & \
	$(BIN)/ccas-vault-instance site var/client1 --site-id $(SITE_ID) --demo --url http://localhost:$(PORT) && \
	echo "Serving http://localhost:$(PORT)/$(SITE_ID) and http://localhost:$(PORT2)/$(SITE_ID) through ZEO $(ZEO_ADDRESS) — Ctrl-C to stop." && \
	{ $(BIN)/runwsgi var/client1/etc/zope.ini & $(BIN)/runwsgi var/client2/etc/zope.ini & wait; }

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
