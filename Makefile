# Entry points: `make run` starts the bot, `make doctor` checks the setup, `make test` runs
# every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run doctor test lint bench bench-quick install install-dev clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: $(VENV)/.runtime
	$(PY) -m bot

# `make doctor DOCTOR_ARGS=--live` also sends one tiny paid chat request; `--json` for scripts.
DOCTOR_ARGS ?=
doctor: $(VENV)/.runtime
	$(PY) -m bot doctor $(DOCTOR_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

bench: $(VENV)/.dev
	$(PY) -m bench

bench-quick: $(VENV)/.dev
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
