# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv from the hash-pinned lock files; nothing else is needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/pip install -q --require-hashes -r requirements-test.lock
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/briefbot demo

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks: run on demand on a quiet machine; each prints its numbers.
bench: install-test
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/lookup.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/slack.py --with-poll
	$(BIN)/python bench/discord_roundtrip.py

clean:
	rm -rf $(VENV) briefbot.db briefbot.db-wal briefbot.db-shm
