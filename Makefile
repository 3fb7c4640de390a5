# avnmotion: two commands on a fresh machine: `make run` and `make test`.
# Every target is idempotent: stamps in .venv/ record what is installed, and the pose model is
# built once into the cache (AVNMOTION_MODEL_DIR, default ~/.cache/avnmotion/models).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: setup setup-dev run test test-fast bench samples lint typecheck system-deps clean help

help:
	@echo "make run      start the service on http://$(HOST):$(PORT) (embedded SQLite)"
	@echo "make test     install dev extras and run the whole test suite"
	@echo "make setup    create .venv, install, prepare the pose model"
	@echo "make bench    run the benchmarks (writes benchmarks/results/latest.json)"
	@echo "make samples  regenerate sample_videos/ (needs EGL; see README)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-api: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[api]"
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed-api

# The offline pose model: built from the mediapipe 0.10.21 wheel's tflite files (no
# download of model weights at run time). Cached; a no-op when already there.
model: $(VENV)/.installed-api
	$(BIN)/avnmotion model prepare

setup: $(VENV)/.installed-api model

setup-dev: $(VENV)/.installed-dev model

# System libraries for the renderer (EGL) and the browser test (Chromium); installed with
# apt-get when we are root and they are missing, otherwise those tests skip with a reason.
system-deps:
	@scripts/system-deps.sh

run: setup
	$(BIN)/avnmotion serve --host $(HOST) --port $(PORT)

test: setup-dev system-deps
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests - treating as failure"; exit 1; fi; \
	exit $$rc

test-fast: setup-dev
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: setup-dev system-deps
	$(BIN)/python -m benchmarks.run

samples: setup-dev system-deps
	$(BIN)/python -m avnmotion.synth samples --out sample_videos

lint: setup-dev
	$(BIN)/ruff check avnmotion api tests benchmarks
	$(BIN)/ruff format --check avnmotion api tests benchmarks

typecheck: setup-dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
