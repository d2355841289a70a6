# Two commands on a fresh machine: `make demo` (the main job on SQLite) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test bench bench-quick lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/openets demo

# pytest exits 5 when it collected nothing: say so, and fail (a suite that ran nothing is not green)
test: $(BIN)/.installed
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

bench: $(BIN)/.installed
	$(BIN)/python bench/registry_bench.py
	$(BIN)/python bench/allocation_bench.py
	$(BIN)/python bench/mrv_bench.py
	$(BIN)/python bench/matching_bench.py
	$(BIN)/python bench/exchange_bench.py
	$(BIN)/python bench/auction_offsets_bench.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/lab_bench.py
	$(BIN)/python bench/trust_bench.py
	$(BIN)/python bench/dashboard_bench.py

bench-quick: $(BIN)/.installed
	$(BIN)/python bench/registry_bench.py --quick
	$(BIN)/python bench/allocation_bench.py --quick
	$(BIN)/python bench/mrv_bench.py --quick
	$(BIN)/python bench/matching_bench.py --quick
	$(BIN)/python bench/exchange_bench.py --quick
	$(BIN)/python bench/auction_offsets_bench.py --quick
	$(BIN)/python bench/api_bench.py --quick
	$(BIN)/python bench/lab_bench.py --quick
	$(BIN)/python bench/trust_bench.py --quick
	$(BIN)/python bench/dashboard_bench.py --quick

# ruff, then mypy (configured in pyproject.toml), then the layer contracts (import-linter, [tool.importlinter])
lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	cd src && ../$(BIN)/lint-imports --no-cache --config ../pyproject.toml

clean:
	rm -rf $(VENV) var build *.egg-info
