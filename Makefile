# Quick start: `make demo` and `make test` each set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test pytest lit lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,dse,dask]'
	$(BIN)/python -m pip install -q -e '.[ray]' || echo "make: the [ray] extra did not install; its sharp-dse test is skipped"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo.py

test: $(STAMP)
	$(BIN)/python tools/run_tests.py

pytest: $(STAMP)
	$(BIN)/python -m pytest tests

lit: $(STAMP)
	$(BIN)/lit -sv tests/filecheck

lint: $(STAMP)
	$(BIN)/ruff check sharp_compiler tests tools benchmarks
	$(BIN)/ruff format --check sharp_compiler tests tools benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
