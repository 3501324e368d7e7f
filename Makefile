# The two commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest bench bench-quick lock clean stack

# the service alone: what `make run` needs
$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(STAMP)

# plus the tools and test dependencies (ruff, mypy, pytest, playwright, ...)
$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/roomtemp serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

pytest: $(DEV_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# Prometheus, Alertmanager, the API on the Prometheus backend and the simulator, on 127.0.0.1
stack: $(STAMP)
	deploy/stack/run.sh

# the issue's workload through roomtemp and straight into Prometheus and VictoriaMetrics
bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: $(DEV_STAMP)
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

lock: $(DEV_STAMP)
	{ echo '# Exact versions every install uses (make run, make test, CI); refresh with: make lock'; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^roomtemp'; } > constraints.txt
	touch $(STAMP) $(DEV_STAMP)

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
