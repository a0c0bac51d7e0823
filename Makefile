# Agglo Assistant. `make run` and `make test` install whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := 3.10
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Tools run as `python -m`, so they always use this checkout's interpreter.
RASA := $(PY) -m rasa
INSTALLED := $(VENV)/.installed
# Supply-chain and manifest tools, apart: they need newer packaging and jsonschema than Rasa 3.6.
TOOLS_VENV := .venv-tools
TOOLS_INSTALLED := $(TOOLS_VENV)/.installed
KB_DB := var/kb.sqlite3
MODEL_STAMP := models/.trained
# The training data, the configuration and the custom NLU components it names.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard components/*.py)
# The content, the official datasets it imports (bot/kb/sources/, npm packages pinned in
# package-lock.json) and the code that turns them into tables (a schema change needs a rebuild).
KB_INPUTS := $(shell find kb -type f 2>/dev/null) $(wildcard bot/kb/*.py bot/kb/sources/*.py) bot/french/lexicon.py package-lock.json

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install tools audit kb kb-stale report train run shell test lint unit rasa-test e2e lock clean bench-quality bench-speed bench-turn bench-report bench-console browser purge fuzz run-prod stop-prod test-prod services

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

install: $(INSTALLED) $(KB_DB) ## Create .venv, install the locked dependencies, build the knowledge base

$(INSTALLED): requirements.lock package-lock.json
	@if ! command -v python$(PYTHON_VERSION) >/dev/null 2>&1 || ! python$(PYTHON_VERSION) -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then \
	  echo "error: Python $(PYTHON_VERSION) is required (Rasa 3.6 runs on Python 3.8-3.10 only) and 'python$(PYTHON_VERSION)' was not found." >&2; \
	  echo "       With pyenv: 'pyenv install $(PYTHON_VERSION)' (this repo's .python-version selects it)." >&2; \
	  echo "       On Debian/Ubuntu: install python$(PYTHON_VERSION) and python$(PYTHON_VERSION)-venv." >&2; \
	  exit 1; fi
	@test -x $(PY) || python$(PYTHON_VERSION) -m venv $(VENV)
	@echo "==> Installing the locked Python dependencies (a few minutes the first time)"
	@# Every version is pinned (requirements.lock), so pip resolves nothing and never backtracks.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	@echo "==> Installing the npm data and browser libraries"
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	  else echo "warning: npm not found: communes outside the Agglo will not be recognised." >&2; fi
	@touch $@

tools: $(TOOLS_INSTALLED) ## The manifest validator, pip-audit and cyclonedx-py in .venv-tools (ops/tools/requirements.lock)

$(TOOLS_INSTALLED): ops/tools/requirements.lock
	@test -x $(TOOLS_VENV)/bin/python || python$(PYTHON_VERSION) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r ops/tools/requirements.lock
	@command -v kubectl >/dev/null 2>&1 || echo "warning: kubectl (1.27 or later, kustomize v5) is missing: the Kubernetes manifests cannot be rendered (docs/deploy.md)." >&2
	@touch $@

audit: $(INSTALLED) $(TOOLS_INSTALLED) ## Advisories of requirements.lock against the reviewed list (fails on a new one); SBOMs into var/audit/
	$(PY) -m ops.audit

kb: $(KB_DB) ## Build the knowledge base from kb/; running servers pick it up within seconds, no restart

kb-stale: $(INSTALLED) ## Facts whose source is older than DAYS (default 180); fails if a headline aid is overdue
	$(PY) -m bot kb check --stale $(or $(DAYS),180)

report: $(KB_DB) ## HTML report of the last 30 days into var/reports/ (ARGS="--since YYYY-MM-DD --until YYYY-MM-DD --out FILE")
	$(PY) -m bot report $(ARGS)

$(KB_DB): $(INSTALLED) $(KB_INPUTS)
	$(PY) -m bot kb build

train: $(MODEL_STAMP) ## Train the Rasa model if data, domain or config changed

$(MODEL_STAMP): $(INSTALLED) $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name agglo --out models
	@touch $@

run: install train ## Start the assistant (Rasa REST on :5005, actions, web front on :8000: demo page + console)
	$(PY) -m ops.dev

services: ## Install Debian's PostgreSQL 15, Redis, nginx, supervisor and docker-compose (as root), else say how
	ops/services.sh install
	@command -v docker-compose >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose; } || \
	  echo "warning: docker-compose is missing: compose.yml will not be validated (apt-get install -y docker-compose)." >&2

run-prod: install train services ## Production profile: PostgreSQL, Redis, 2 Rasa + 2 action servers + 2 web fronts behind nginx (:8080), under supervisord
	$(PY) -m ops.prod run

stop-prod: ## Stop a `make run-prod` started from another terminal
	$(PY) -m ops.prod stop

test-prod: install train services ## Production profile: roles, migrations, lifetime; bad-input fuzz; sizing, growth (1M events), pinning (1,000 pairs) and faults, written to bench/results/prod.md (~15 min)
	$(PY) -m pytest -m prod
	$(PY) -m pytest tests/integration/fuzz -m e2e -s
	$(PY) -m bench.prod $(ARGS)

shell: install train ## Chat with the assistant in the terminal
	$(PY) -m ops.dev --shell

lint: $(INSTALLED) ## ruff, mypy and the import contracts of pyproject.toml (the layers of bot/)
	$(PY) -m ruff check bot actions channels components rasa_sdk_plugins ops tests bench migrations
	$(PY) -m ruff format --check bot actions channels components rasa_sdk_plugins ops tests bench migrations
	$(PY) -m mypy
	$(BIN)/lint-imports --no-cache

unit: install ## pytest only (offline, fast)
	$(PY) -m pytest -m "not rasa and not e2e and not browser"

browser: ## Install Debian's Chromium for the browser tests (as root), else say how
	@if [ -x /usr/bin/chromium ]; then \
	  echo "Chromium for the browser tests: /usr/bin/chromium"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "==> Installing Chromium and the emoji font for the browser tests"; \
	  apt-get update && apt-get install -y chromium fonts-noto-color-emoji; \
	else \
	  echo "warning: /usr/bin/chromium is missing, so the browser tests will be skipped." >&2; \
	  echo "         Install it with: sudo apt-get install -y chromium fonts-noto-color-emoji (or run 'make browser' as root)." >&2; \
	fi

test: install tools train browser services ## Lint, the supply-chain audit, unit tests, Kubernetes manifests, Rasa validation and tests, end-to-end, browser (the fuzz runs in test-prod)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory audit
	$(PY) -m pytest --ignore=tests/integration/fuzz --ignore=tests/integration/browser
	@# Playwright's sync API keeps an event loop running in the main thread: the browser tests get
	@# a pytest run of their own, so that no asyncio test runs after them in the same process.
	$(PY) -m pytest tests/integration/browser

purge: $(INSTALLED) ## Delete conversations and feedback older than AGGLO_RETENTION_DAYS (default 90); schedule it with cron
	$(PY) -m bot purge

fuzz: install train ## Fuzz the public endpoints and Rasa's REST channel with bad input, against the real servers (~2 min)
	$(PY) -m pytest tests/integration/fuzz -m e2e -s

lock: $(INSTALLED) ## Regenerate requirements.lock from requirements.in
	$(PY) -m uv pip compile requirements.in --python-version $(PYTHON_VERSION) -o requirements.lock

clean: ## Remove the environment, the databases and the models
	rm -rf $(VENV) $(TOOLS_VENV) node_modules var models results

bench-quality: install train ## Quality: project pipeline vs Rasa default vs TF-IDF (3-fold CV) and the evaluation set end to end (~5 min; 40-60 min with Rasa's training cache empty)
	$(PY) -m bench.quality

bench-report: $(KB_DB) ## Report speed: 1 million synthetic events in a scratch tracker store (~1 min; target < 60 s for the report)
	$(PY) -m bench.report_speed $(ARGS)

bench-console: $(KB_DB) ## The offline console: first full sync (target < 1 MB compressed), a fiche opened offline in Chromium (target < 100 ms) (~1 min)
	$(PY) -m bench.console $(ARGS)

bench-turn: install train ## CPU per message of the NLU and of the answer's reading and selection, on the evaluation sets (~1 min; target ≤ 10 ms)
	$(PY) -m bench.turn_cost $(ARGS)

bench-speed: install train ## Speed: latency, throughput, memory, start-up, training vs bare Rasa (~15 min; ARGS=--quick)
	$(PY) -m bench.speed $(ARGS)
