# The two commands of the README: `make demo` and `make test`. Both build .venv from scratch when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml examples/autoaudit-api/pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck check bench docs rules-index doc-samples clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	@if [ -f examples/autoaudit-api/pyproject.toml ]; then \
		$(BIN)/python -m pip install --quiet -e examples/autoaudit-api; fi
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	@$(BIN)/python examples/demo.py

# The suite runs on every CPU (pytest-xdist), a test file per worker at a time (module fixtures are built
# once); `make test TEST_JOBS=0` runs it in one process.
TEST_JOBS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check autoaudit_secrets tests benchmarks examples
	$(BIN)/ruff format --check autoaudit_secrets

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

docs: rules-index
	$(BIN)/python -m autoaudit_secrets.scan.rules._docgen > docs/rules.md

# The packaged index of the built-in rules (scan/rules/data/index.py), after a rule file is edited.
rules-index: $(STAMP)
	$(BIN)/python -m autoaudit_secrets.scan.rules._index

doc-samples: $(STAMP)
	$(BIN)/python tools/doc_samples.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
