# The two commands a newcomer runs: `make demo`, then `make test`. Both build .venv if needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: demo test lint bench clean install

install: $(STAMP)

# pdqhash has no Linux wheel: pip builds it from its sdist with the machine's C++ compiler and
# keeps the built wheel in its cache (~/.cache/pip), so later venvs install it in seconds.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip wheel
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/heroes demo --workdir demo-output --photos $(SHARED)/data/photos \
		--videos $(SHARED)/data/threatexchange/tmk/sample-videos \
		--image $(SHARED)/data/disk_images/synthetic/mbr_fat.E01

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/hashing.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/scan_index.py
	$(BIN)/python bench/triage.py
	$(BIN)/python bench/web_grid.py
	$(BIN)/python bench/grooming.py

clean:
	rm -rf $(VENV) demo-output bench-output .pytest_cache .mypy_cache .ruff_cache
