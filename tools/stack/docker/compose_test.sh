#!/usr/bin/env bash
# `make compose-test` (inside with-daemon.sh): the whole system from docker-compose.yml on the locally
# built images, on ports of its own (deploy/compose/test-ports.yml), the three demo imports through the
# gateway (tools/stack/demo.sh), their data checked against the simulator's truth
# (tests/compose/test_demo_imports.py), then everything brought down: containers, network, volumes.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HERE=tools/stack/docker
UV=$(command -v uv || echo "python3 -m uv")
compose() {
  bash $HERE/compose.sh -p mysetlist-compose-test -f docker-compose.yml \
    -f deploy/compose/local-images.yml -f deploy/compose/test-ports.yml "$@"
}
GATEWAY=http://127.0.0.1:28000
SIMULATOR=http://127.0.0.1:28100

bash $HERE/images.sh
bash $HERE/compose.sh version
started=$SECONDS
trap 'compose down --volumes --remove-orphans --timeout 30 >/dev/null 2>&1 || true' EXIT
compose up --detach --no-build --quiet-pull

# Ready when every service answers /readyz (database and broker), Prometheus /-/ready, and Docker calls
# every container with a health check healthy (the images' HEALTHCHECK; compose's for Kafka, PostgreSQL).
ready() {
  for port in 28000 28001 28002 28003; do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || return 1
  done
  curl -fs -o /dev/null "$SIMULATOR/healthz" || return 1
  curl -fs -o /dev/null http://127.0.0.1:28090/-/ready || return 1
  ! compose ps --format '{{.Service}} {{.Status}}' | grep -v '^prometheus' | grep -qv '(healthy)'
}
for _ in $(seq 180); do ready && break; sleep 1; done
if ! ready; then
  compose ps
  compose logs --tail 40
  echo "error: the system did not become ready and healthy in 180 s" >&2
  exit 1
fi
compose ps --format '  {{.Service}}: {{.Status}}'
echo "compose: up and healthy in $((SECONDS - started))s"

SIMULATOR_PORT=28100 GATEWAY_PORT=28000 bash tools/stack/demo.sh
MYSETLIST_COMPOSE_GATEWAY_URL=$GATEWAY MYSETLIST_COMPOSE_SIMULATOR_URL=$SIMULATOR \
  MYSETLIST_COMPOSE_DATABASE_URL=postgresql://mysetlist:mysetlist@127.0.0.1:28032/mysetlist \
  $UV run --no-sync pytest -p no:cacheprovider -q tests/compose

down_started=$SECONDS
compose down --volumes --remove-orphans --timeout 30
trap - EXIT
left=$(docker ps -aq; docker network ls -q --filter type=custom; docker volume ls -q)
[ -z "$left" ] || { echo "error: compose left containers, networks or volumes: $left" >&2; exit 1; }
echo "compose: down in $((SECONDS - down_started))s; compose test took $((SECONDS - started))s after the images"
