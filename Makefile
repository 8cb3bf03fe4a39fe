# The two commands that matter: `make demo` (the stack with sample imports) and `make test` (everything).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
STACK := python3 tools/stack/stack.py
# What mypy checks: every package's source, the stack tooling, the shared fixtures and the benchmarks.
TYPED := libs/common/src libs/devtools/src services/gateway/src services/progress/src \
	services/shows-ingest/src services/catalog-ingest/src tools/simulator/src tools/cli/src tools/stack \
	tools/chaos conftest.py bench

DOCKER := bash tools/stack/docker/with-daemon.sh
.PHONY: help install test lint ruff format-check mypy lint-imports pytest up down status demo bench scale \
	kafka resync images compose-test test-containers chaos

help:
	@echo "make demo    install what is missing, start the stack, import sample artists"
	@echo "make test    install what is missing, ruff + mypy + every test (real Kafka and PostgreSQL)"
	@echo "make up | status | down    the local stack (ports in README.md)"
	@echo "make bench   run bench/bench_*.py, results in bench-results/"
	@echo "make scale   the long load scenarios (bench/bench_load.py A, B and C), results in bench-results/"
	@echo "make kafka ARGS=\"kafka-consumer-groups --describe --all-groups\"    Kafka's own tools on the stack"
	@echo "make images | compose-test | test-containers    the same system in containers (own Docker engine)"
	@echo "make resync  refresh imported artists within the quota share (RESYNC_ARGS=--limit 5, ...)"
	@echo "make chaos   the fault suite on a cluster of its own, results in bench-results/chaos.json"

install:
	bash tools/stack/install.sh

# -k: every check runs and reports even when an earlier one failed; the exit code still fails.
test:
	bash tools/stack/install.sh --browser --prometheus
	$(MAKE) --no-print-directory -k ruff format-check mypy lint-imports pytest

lint: ruff format-check mypy lint-imports

ruff:
	$(UV) run --no-sync ruff check .

format-check:
	$(UV) run --no-sync ruff format --check .

mypy:
	$(UV) run --no-sync mypy $(TYPED)

# The layering contracts of pyproject.toml ([tool.importlinter]): services never import each other,
# shipped code never imports tools, dev tools or tests, and libs/common's layers only import downwards.
lint-imports:
	$(UV) run --no-sync lint-imports

pytest:
	$(UV) run --no-sync pytest --continue-on-collection-errors --durations=15 $(PYTEST_ARGS)

up:
	bash tools/stack/install.sh --prometheus
	$(STACK) up

status:
	@$(STACK) status

down:
	$(STACK) down

demo: up
	bash tools/stack/demo.sh

# Apache Kafka's command-line tools against the stack's broker, e.g. ARGS="kafka-topics --list".
kafka:
	@python3 tools/stack/kafka_tools.py $(ARGS)

# Refresh imported artists within the day's Ticketmaster quota share (what the CronJob does in Kubernetes).
resync:
	MYSETLIST_URL=$${MYSETLIST_URL:-http://127.0.0.1:$${GATEWAY_PORT:-8000}} \
		$(UV) run --no-sync mysetlist resync --run $(RESYNC_ARGS)

bench:
	bash tools/stack/install.sh
	$(UV) run --no-sync python bench/run.py $(BENCH_ARGS)

# The long load scenarios: 100 imports through the whole stack with replicas, including C (Retry-After
# 90 s, a Ticketmaster quota that runs out mid-import). `make bench` runs A and B.
scale:
	bash tools/stack/install.sh --prometheus
	BENCH_LOAD_SCENARIOS=A,B,C,D $(UV) run --no-sync python bench/run.py load

# Containers: each target starts the project's own Docker engine (tools/stack/docker/daemon.sh) and stops
# it again when done, whatever happens. Images, base image and compose are cached under .local/docker.
images:
	bash tools/stack/install.sh
	$(DOCKER) bash tools/stack/docker/images.sh

compose-test:
	bash tools/stack/install.sh
	$(DOCKER) bash tools/stack/docker/compose_test.sh

# The spine tests with Kafka and PostgreSQL in containers (testcontainers) instead of the local stack.
test-containers:
	bash tools/stack/install.sh
	$(DOCKER) bash -c 'bash tools/stack/docker/images.sh infra && MYSETLIST_TEST_STACK=containers \
		$(UV) run --no-sync pytest --durations=5 tests/spine $(PYTEST_ARGS)'

# The fault suite (tools/chaos): kill -9, Kafka and PostgreSQL outages, upstream faults, on its own Kafka,
# PostgreSQL and services (ports 25432, 2959x, 285xx-286xx; .local-chaos/). CHAOS_ARGS: --problem-5, --only.
chaos:
	bash tools/stack/install.sh
	PYTHONPATH=tools $(UV) run --no-sync python -m chaos.run $(CHAOS_ARGS)
