# Two entry points: `make run` starts the bot (or the local console when no
# DISCORD_TOKEN is configured) and `make test` runs the whole test suite.
# Both create the virtual environment and install the project on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot $(ARGS)

test: $(STAMP)
	$(BIN)/python -m ruff check bot index tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/python -m ruff check bot index tests
	$(BIN)/python -m ruff format --check bot index tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
