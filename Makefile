# Entry points: `make run` starts the bot, `make doctor` checks the setup, `make test` runs
# every check.
# Dependencies are installed from uv.lock (exact versions and hashes) by uv, which is itself
# installed into the venv with pip; after editing pyproject.toml's dependencies run `make lock`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
# --locked: fail if uv.lock does not match pyproject.toml; --inexact: keep pip and uv itself.
UV_SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(UV) sync --locked --inexact --quiet

.PHONY: run doctor test lint lock bench bench-quick install install-dev check-env fixtures \
	check-fixtures clean

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed; $(PYTHON) is older (make PYTHON=python3.12 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.runtime: pyproject.toml uv.lock | $(UV)
	$(UV_SYNC)
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(UV_SYNC) --extra dev
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

lock: | $(UV)
	$(UV) lock

# First run: no .env and no BOT_TOKEN in the environment → make .env and say what to fill in.
check-env:
	@if [ ! -f .env ] && [ -z "$${BOT_TOKEN:-}" ]; then \
		cp .env.example .env; \
		echo "Created .env from .env.example. Fill in these two lines in .env, then run 'make run' again:"; \
		echo "  BOT_TOKEN=      the token @BotFather gave you"; \
		echo "  POLZA_API_KEY=  your Polza.ai API key (polza.ai → API keys)"; \
		exit 1; \
	fi

run: check-env $(VENV)/.runtime
	$(PY) -m bot

# `make doctor DOCTOR_ARGS=--live` also sends one tiny paid chat request; `--json` for scripts.
DOCTOR_ARGS ?=
doctor: $(VENV)/.runtime
	$(PY) -m bot doctor $(DOCTOR_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile

# Three workers on two cores: most of an end-to-end test is waiting on its bot process.
test: lint
	$(PY) -m pytest -q -n 3

bench: $(VENV)/.dev
	$(PY) -m bench

bench-quick: $(VENV)/.dev
	$(PY) -m bench --quick

# The voice fixtures (needs espeak-ng and ffmpeg): remake them, or check the committed ones.
fixtures:
	tests/fixtures/make_voice_fixtures.sh

check-fixtures:
	tests/fixtures/make_voice_fixtures.sh --check

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
