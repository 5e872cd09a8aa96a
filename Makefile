# shipwatch: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install system-deps test test-faults test-scale test-unit test-integration lint format typecheck run \
        broker-start broker-stop scenario clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install shipwatch with its dev tools

system-deps: ## install what the tests need from Debian when missing (Java, Maven, Prometheus, Alertmanager, Chromium)
	scripts/system-deps.sh

test: install system-deps ## everything the tests need, then the suite (all but the fault runs)
	$(BIN)/pytest -m "not integration" -n 2
	$(BIN)/pytest -m "integration and not faults" -n 2 --dist loadfile --durations=15

test-faults: install system-deps ## the fault runs: kill -9 (mid-stream, mid-flush), broker restart and outage, 2 -> 3 -> 2 with a kill, 10 % bad input, dropped fetches (~3.5 min)
	$(BIN)/pytest -m "faults and not scale" -n 2 --dist loadfile --durations=10

test-scale: install system-deps ## the multi-worker runs CI leaves out: two workers from the start, a worker stopped in 2 -> 3 -> 2 (~1.5 min)
	$(BIN)/pytest -m scale

test-unit: install ## the fast tests only (no broker), on two processes
	$(BIN)/pytest -m "not integration" -n 2

test-integration: install system-deps ## the tests against the real Kafka broker
	$(BIN)/pytest -m integration

lint: install ## ruff lint and format check, the import layers (pyproject.toml), mypy strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy strict on the source
	$(BIN)/mypy

run: install system-deps ## local broker + worker + the reference scenario; Ctrl-C stops them
	scripts/run-local.sh

broker-start: install system-deps ## start the local Kafka broker
	$(BIN)/shipwatch broker start

broker-stop: install ## stop the local Kafka broker
	$(BIN)/shipwatch broker stop

scenario: install ## regenerate the bundled scenarios (reference, at sea, four days at sea, integrity)
	$(BIN)/python -m shipwatch.scenarios.reference --out shipwatch/scenarios/data/reference.csv
	$(BIN)/python -m shipwatch.scenarios.at_sea --out shipwatch/scenarios/data/at_sea.jsonl
	$(BIN)/python -m shipwatch.scenarios.sea_days --out shipwatch/scenarios/data/sea_days.jsonl
	$(BIN)/python -m shipwatch.scenarios.integrity --out shipwatch/scenarios/data/integrity.jsonl \
		--status shipwatch/scenarios/data/integrity-status.csv

clean: ## remove caches and build output (keeps .venv and the broker's data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info

.PHONY: bench bench-quick soak soak-week scale-loop
bench: install system-deps ## performance: 1,000,000 positions; throughput vs the batch baseline, stages, 2 workers, capacity, latency, memory, the at-sea hop and the history sink (~11 min)
	$(BIN)/python -m bench.run
	@echo "what the at-sea hop, the vessel history and the integrity checks cost: the same traffic with each off, side by side with the worker as it is"
	$(BIN)/python -m bench.variants base nosea nohistory nointegrity --positions 200000 --vessels 3000 --paired --repeat 3
	@echo "the live feed: NMEA sentences per second from a local TCP server into Kafka"
	$(BIN)/python -m bench.feed --lines 1000000

bench-quick: install system-deps ## the same, smaller: 100,000 positions of 300 vessels (~4 min)
	$(BIN)/python -m bench.run --quick
	$(BIN)/python -m bench.variants base nosea nohistory nointegrity --positions 100000 --vessels 3000 --paired
	$(BIN)/python -m bench.feed --lines 300000

MINUTES ?= 5
soak: install system-deps ## memory soak: a worker under steady traffic from a fixed fleet; does its RSS level off (MINUTES=5, ~6 min)
	$(BIN)/python -m bench.soak --minutes $(MINUTES)

DAYS ?= 7
SPEED ?= 250
WEEK_ARGS ?=
soak-week: install system-deps ## a week of event time for 3,000 vessels through one worker at SPEED x real time, every retention rule checked (DAYS=7, SPEED=250: ~45 min)
	$(BIN)/python -m bench.soak_week --days $(DAYS) --speed $(SPEED) $(WEEK_ARGS)

RUNS ?= 20
scale-loop: install system-deps ## the 2 -> 3 -> 2 workers scale test (one stopped, one killed) RUNS times in a row; counts the clean runs (~2.5 min a run)
	scripts/scale_test_loop.sh $(RUNS)

.PHONY: schemas
schemas: install ## regenerate the JSON Schemas of every topic's records (schemas/)
	$(BIN)/python -m shipwatch.pipeline.schemas --write
