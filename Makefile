# The whole contributor workflow: `make demo`, `make test`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint format clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PolicyLens needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## demo: set up, ingest the sample corpus into policylens.db, show what was found
demo: $(STAMP)
	$(BIN)/policylens ingest examples/corpus
	$(BIN)/policylens ls
	$(BIN)/policylens items --doc 000 --limit 5
	$(BIN)/policylens items --doc 003 --kind plan_section --limit 8
	@echo "Next: $(BIN)/policylens show 003   ·   $(BIN)/policylens items --help"
	@echo "Web UI: run \`$(BIN)/policylens serve\` and open http://127.0.0.1:8000/"

## test: set up and run the test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## bench: benchmark every stage against the floor on a synthetic corpus (DOCS=200)
DOCS ?= 200
bench: $(STAMP)
	$(BIN)/policylens bench --docs $(DOCS)

## lint: ruff checks and formatting
lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) policylens.db .pytest_cache .ruff_cache
