# secloop's two commands: `make demo` and `make test`. Both bootstrap everything from Python, git and make.
PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := build/demo
# The cooldown date: nothing newer is adopted (see README, "Dependency cooldown").
EXCLUDE_NEWER := $(shell sed -n 's/^exclude-newer = "\(.*\)"/\1/p' pyproject.toml)

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_NO_PROGRESS := 1

.PHONY: demo test lint typecheck unit lock bench clean docs

$(UV): requirements-bootstrap.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-bootstrap.txt
	touch $(UV)

# Semgrep, the optional SAST engine, in a tool environment of its own (hashed pins, same cooldown):
# it pins click/fastapi versions secloop cannot take, so it never enters secloop's lock.
SEMGREP := $(TOOLS)/semgrep/bin/semgrep

$(SEMGREP): rules/semgrep/requirements.txt
	$(PYTHON) -m venv $(TOOLS)/semgrep
	$(TOOLS)/semgrep/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r rules/semgrep/requirements.txt
	touch $(SEMGREP)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-extras --python $(PYTHON) --quiet
	touch $@

# The demo's advisory database lives in build/ (not the user's data directory); it is imported from the
# OSV export beside the checkout when there is one, otherwise build.sca says "unknown" and how to fix it.
OSV_EXPORT ?= ../shared/data/osv/PyPI-all.zip

demo: export SECLOOP_OSV_DIR := build/osv
demo: $(VENV)/.synced
	rm -rf $(DEMO)
	$(BIN)/python scripts/make_demo.py $(DEMO)
	if [ -f "$(OSV_EXPORT)" ] && [ ! -d build/osv ]; then $(BIN)/secloop db import "$(OSV_EXPORT)"; fi
	$(BIN)/secloop assess $(DEMO); status=$$?; \
	  if [ $$status -eq 1 ]; then echo "(exit 1: the gate failed on the planted problems, as it should)"; \
	  else exit $$status; fi

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r src -c pyproject.toml

typecheck: $(VENV)/.synced
	$(BIN)/mypy

# tests/sast/test_semgrep.py runs the rule pack with $(SEMGREP); no other test sees Semgrep.
unit: $(VENV)/.synced $(SEMGREP)
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck unit

docs: $(VENV)/.synced
	$(BIN)/python scripts/gen_docs.py

lock: $(UV)
	$(UV) lock
	$(UV) pip compile requirements-bootstrap.in --exclude-newer $(EXCLUDE_NEWER) --generate-hashes --no-header --quiet -o requirements-bootstrap.txt

bench: $(VENV)/.synced
	$(BIN)/python bench/bench_assess.py

clean:
	rm -rf $(TOOLS) $(VENV) build .pytest_cache .mypy_cache .ruff_cache .coverage
