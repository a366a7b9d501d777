# Pulseboard — `make demo` runs everything locally; `make test` is the test suite. `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A Python 3.12 interpreter that really runs (a pyenv shim named python3.12 may only print an error):
# python3.12 on PATH, else pyenv's newest 3.12.x, else the system's. The Lambda runtime is 3.12.
PYTHON312 ?= $(shell for p in python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12 2>/dev/null | sort -rV); do \
  if "$$p" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then command -v "$$p"; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Test files run on this many workers (pytest-xdist), each file whole on one worker.
TEST_WORKERS ?= 2

.PHONY: help venv lock test test-fast lint typecheck up doctor demo bench reliability clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Every install comes from the lock (exact versions, hashed): a fresh clone, CI and the Lambda
# packages get what the tests ran on. uv installs it when on PATH (or bootstrapped into the venv
# from its own pinned lock, INSTALLER=uv); INSTALLER=pip installs the same pins with pip.
LOCK := requirements/dev.lock
UV_LOCK := requirements/uv.lock
INSTALLER ?= uv
# What the lock was made from: the dependency tables of pyproject.toml (not its tool settings).
DEPS_DIGEST = $(PYTHON312) -c 'import hashlib, json, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(hashlib.sha256(json.dumps([p["dependencies"], p["optional-dependencies"]], sort_keys=True).encode()).hexdigest())'

$(STAMP): pyproject.toml $(LOCK)
	@if [ -z "$(PYTHON312)" ]; then \
	  echo "error: Python 3.12 not found (need python3.12 on PATH or pyenv's 3.12.x; install it, e.g. 'pyenv install 3.12')" >&2; exit 2; fi
	@if [ "$$($(DEPS_DIGEST))" != "$$(cat requirements/pyproject.sha256)" ]; then \
	  echo "error: pyproject.toml's dependencies changed since $(LOCK) was made: run 'make lock' and commit it" >&2; exit 2; fi
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
	  rm -rf $(VENV) && $(PYTHON312) -m venv $(VENV); fi
	@if [ "$(INSTALLER)" = uv ]; then \
	  uv=$$(command -v uv || true); \
	  if [ -z "$$uv" ]; then $(PY) -m pip install --quiet --require-hashes --no-deps -r $(UV_LOCK) && uv=$(VENV)/bin/uv; fi; \
	  echo "installing $(LOCK) with uv"; \
	  "$$uv" pip sync --quiet --python $(PY) $(LOCK) && "$$uv" pip install --quiet --python $(PY) --no-deps -e . ; \
	else \
	  echo "installing $(LOCK) with pip"; \
	  $(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK) && $(PY) -m pip install --quiet --no-deps -e . ; \
	fi
	@touch $(STAMP)

venv: $(STAMP) ## create or refresh .venv from the lock when it or pyproject.toml changed

lock: ## refresh requirements/*.lock after a dependency change in pyproject.toml (UPGRADE=1: newest allowed versions)
	@uv=$$(command -v uv || echo $(VENV)/bin/uv); test -x "$$uv" || { echo "error: uv not found: run 'make venv' first" >&2; exit 2; }; \
	"$$uv" pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.12 \
	  --python-platform x86_64-manylinux_2_34 $(if $(UPGRADE),--upgrade) --quiet -o $(LOCK) && \
	"$$uv" pip compile - --generate-hashes --python-version 3.12 --quiet -o $(UV_LOCK) <<< "uv==$$("$$uv" --version | cut -d' ' -f2)" && \
	$(DEPS_DIGEST) > requirements/pyproject.sha256 && echo "$(LOCK) and $(UV_LOCK) refreshed"

lint: $(STAMP) ## ruff, mypy and the import contract (data flows one way: pyproject's [tool.importlinter])
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: $(STAMP) ## ruff, mypy, the import contract, then the whole test suite (browser tests need chromium + chromedriver)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The inner loop: pure units and the SQLite contract; no browser, no moto, no packaging, no trials.
FAST := -m "not browser and not slow" -k "not dynamodb and not s3 and not moto" \
  --ignore=serverless_tests/serverless --ignore=serverless_tests/reliability \
  --ignore=serverless_tests/demo
test-fast: $(STAMP) ## the fast tier for the inner loop (about 2 minutes): ruff, the import contract, unit tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q $(FAST) $(PYTEST_ARGS)

up: $(STAMP) ## run Pulseboard for real on this machine: dashboard, API and scheduler on the embedded store (pulseboard up)
	$(VENV)/bin/pulseboard up

doctor: $(STAMP) ## check this setup: settings, store, blobs, tokens, model and scheduler age, disk
	$(VENV)/bin/pulseboard doctor

demo: $(STAMP) ## run everything locally on the embedded store: stand-ins, sync, train, API, dashboard
	$(PY) -m demo.up

bench: $(STAMP) ## benchmarks: print measured ratios (never pass/fail on time)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

reliability: $(STAMP) ## the reliability trials in full: faults, races, bad input, intruders (one table)
	$(PY) -m testkit.reliability

clean: ## remove the virtualenv, local data and build output
	rm -rf $(VENV) var dist build test-artifacts

# --- AWS: four Zappa stages (api, dashboard, jobs, train); see README "Deploy to AWS" ----------
STAGE ?=
.PHONY: package deploy update undeploy publish-assets rehearse

package: $(STAMP) ## build dist/<stage>.zip for api, dashboard, jobs and train; print sizes against Lambda's limits
	$(PY) -m deploy package $(if $(STAGE),--stage $(STAGE))

deploy: $(STAMP) ## first deployment of STAGE=api|dashboard|jobs|train: checks settings, SSM secrets, table and bucket
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=api|dashboard|jobs|train" >&2; exit 2; }
	$(PY) -m deploy deploy --stage $(STAGE)

update: $(STAMP) ## new code and settings for a deployed STAGE
	@test -n "$(STAGE)" || { echo "usage: make update STAGE=api|dashboard|jobs|train" >&2; exit 2; }
	$(PY) -m deploy update --stage $(STAGE)

undeploy: $(STAMP) ## remove STAGE's function, API and schedule (the table and bucket stay)
	@test -n "$(STAGE)" || { echo "usage: make undeploy STAGE=api|dashboard|jobs|train" >&2; exit 2; }
	$(PY) -m deploy undeploy --stage $(STAGE)

publish-assets: $(STAMP) ## upload the dashboard's scripts, styles and page shells to S3 (served by CloudFront, not Lambda); print PULSEBOARD_ASSETS_URL
	$(PY) -m deploy publish-assets

rehearse: $(STAMP) ## deploy, check and undeploy the four stages on a local moto server
	$(PY) -m pytest serverless_tests/serverless/test_rehearsal.py -q
