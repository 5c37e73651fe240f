# Quick start: `make run` (set up + solve the bundled small scenario), `make test` (set up + tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= scenarios/small.yaml
TIME_LIMIT ?= 10

.PHONY: setup setup-dev run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev,batch,bench,ray]"
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

run: setup
	$(VENV)/bin/dispatchopt solve $(SCENARIO) --time-limit-s $(TIME_LIMIT) --out out/plan.json

test: setup-dev
	$(PY) -m pytest -q

bench: setup-dev
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/solomon_bench.py --time-limit-s 10

clean:
	rm -rf $(VENV) out results .pytest_cache
