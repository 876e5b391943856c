# omnicanal: `make demo` runs the baseline end to end, `make test` runs lint and the tests.
# Both create .venv and install the project into it on first use (and again when
# pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint pytest format bench clean graphviz chromium

$(STAMP): pyproject.toml
	@command -v dot >/dev/null 2>&1 || $(MAKE) --no-print-directory graphviz
	@test -x /usr/bin/chromium || $(MAKE) --no-print-directory chromium
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,studio]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/omnicanal run scenarios/baseline.toml

lint: $(STAMP)
	$(BIN)/ruff check simulation loadtests tests
	$(BIN)/ruff format --check simulation loadtests tests
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint pytest

# Every benchmark in a reduced size (a few minutes); benchmarks/README.md has the full-size
# commands and figures. Each prints its figure, a reference measured in the same run, the ratio.
bench: $(STAMP)
	$(BIN)/python benchmarks/engine_throughput.py --days 2 --customers 10000
	$(BIN)/python benchmarks/scale.py --customers 20000
	$(BIN)/python benchmarks/log_writer.py --days 1
	$(BIN)/python benchmarks/replications.py --replications 4 --days 1 --repeats 1
	$(BIN)/python benchmarks/api_requests.py --requests 500
	$(BIN)/python benchmarks/replay_throughput.py --small
	@if command -v valgrind >/dev/null; then $(BIN)/python benchmarks/instructions.py --days 0.2 --processes 10000; \
	else echo 'benchmarks/instructions.py skipped: valgrind is not installed'; fi

format: $(STAMP)
	$(BIN)/ruff format simulation loadtests tests
	$(BIN)/ruff check --fix simulation loadtests tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Graphviz's dot draws the process-mining notebook's graphs (pm4py calls it); Debian's package.
graphviz:
	@if command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -q graphviz >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q graphviz >/dev/null; } || \
		echo "graphviz: could not install it (not root?): the notebooks' graphs are not drawn"; \
	else echo "graphviz: no apt-get here; install Graphviz to draw the notebooks' graphs"; fi

# Debian's Chromium: the studio's browser tests drive it with Playwright (tests/studio/).
# Playwright's own browser downloads are never used.
chromium:
	@if command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null; } || \
		echo "chromium: could not install it (not root?): the studio's browser tests skip outside CI"; \
	else echo "chromium: no apt-get here; install Chromium at /usr/bin/chromium for the studio's browser tests"; fi
