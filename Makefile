# The two commands:  make run  (the workflow on the bundled demo study)  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
INSTALLED := $(VENV)/.installed

.PHONY: run test lint demo clean

run: $(INSTALLED)
	$(BIN)/snakemake --cores $(CORES) --profile profiles/local $(if $(STRICT),--config 'run={strict: true}')

test: $(INSTALLED)
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint --cores 1

# Regenerate the bundled demo study (resources/, config/ sheets) and its truth: 12 runs of
# each kit, the first 8 of each kit lot the Levey-Jennings guide set, and the Luminex
# reporter 20% less sensitive on the last third of the repeat runs (Westgard flags).
demo: $(INSTALLED)
	$(BIN)/assaypipe simulate --seed 20261121 --plates 36 --guide-plates 8 --reporter-loss 0.2 \
		--out . --truth tests/data/demo_truth

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

clean:
	rm -rf results .snakemake
