# spotcheck — every entry point a developer or CI needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
UV := infra/bin/uv.sh
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: help bootstrap run test lint fmt unit clock integration browser e2e helm-check bench chaos fuzz docs up down infra-up infra-down images

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## install uv and the workspace's Python dependencies
	@infra/bootstrap.sh

run: bootstrap ## all-in-one on embedded defaults (SQLite, in-process events) with the demo district
	SPOTCHECK_DEMO=true SPOTCHECK_AUTH_LOCAL_ISSUER=true SPOTCHECK_LOG_JSON=false \
		$(UV) run spotcheck --target=all --port $(PORT)

test: bootstrap lint ## everything CI runs: lint, unit, clock, integration, helm, fuzz, e2e
	@infra/test.sh

lint: bootstrap ## ruff (lint, format, complexity), mypy, import contracts (layers, pure domains)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy -p spotcheck_common -p registry -p planning -p draws -p inspections -p publication -p objections -p archives -p portal
	$(UV) run mypy services/*/tests/unit/fakes.py
	$(UV) run lint-imports

fmt: bootstrap ## format and fix what ruff can
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

unit: bootstrap ## unit tests (fakes, no services needed)
	$(UV) run pytest -q -m "not integration and not e2e and not browser" libs services tests --ignore=tests/chaos  # its own stage (infra/test.sh ALONE)

clock: bootstrap ## unit tests with the machine's clock moved to 2027-06-01 (libfaketime)
	@infra/test.sh clock

integration: bootstrap ## integration tests against real PostgreSQL and Kafka (started here)
	@infra/test.sh integration

browser: bootstrap ## the web application in headless Chromium (Playwright), every workflow
	@infra/test.sh browser

e2e: bootstrap ## end-to-end tests in containers (podman + testcontainers)
	@infra/test.sh e2e

helm-check: ## helm lint + template + schema validation of the chart
	@infra/helm/check.sh

.PHONY: drill
drill: bootstrap ## backup-and-restore drill: base backup + WAL archive, point-in-time restore, nothing lost
	@infra/postgres/drill.sh

bench: bootstrap ## benchmarks; each line: BENCH <name> <value> <unit> target=<target>
	$(UV) run python benchmarks/draws_bench.py
	$(UV) run python benchmarks/registry_bench.py
	$(UV) run python benchmarks/portal_bench.py
	$(UV) run python benchmarks/fanout_bench.py

.PHONY: load
load: bootstrap ## the public API under load: /public/results at 500/s for 60 s on PostgreSQL (vegeta), BENCH lines
	$(UV) run python benchmarks/load_public.py

CHAOS_CYCLES ?= 50
chaos: bootstrap ## fault campaign: CHAOS_CYCLES full cycles while services and the broker are SIGKILLed (CHAOS_SEED replays one)
	$(UV) run python -m tests.chaos.campaign --cycles $(CHAOS_CYCLES) $(if $(CHAOS_SEED),--seed $(CHAOS_SEED))

fuzz: bootstrap ## schemathesis over every service's OpenAPI on the all-in-one server (no 5xx, answers as documented)
	@infra/fuzz.sh

docs: bootstrap ## regenerate docs/api (OpenAPI and AsyncAPI of every service)
	$(UV) run spotcheck docs --out docs/api

up: bootstrap ## Kafka + PostgreSQL + every service as its own process
	@infra/dev/up.sh

down: ## stop what `make up` started
	@infra/dev/down.sh

infra-up: ## only Kafka and PostgreSQL
	@infra/dev/infra.sh start

infra-down:
	@infra/dev/infra.sh stop

images: ## build the container images used by the e2e tests
	@infra/images/build.sh
