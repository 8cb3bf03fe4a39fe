#!/usr/bin/env bash
# `make images`: every image of the system on the project's Docker engine (started by
# tools/stack/docker/daemon.sh; DOCKER_HOST points at it), then each image's name and size.
#  - mysetlist-<service>:latest for gateway, progress, shows-ingest, catalog-ingest and simulator, from the
#    root Dockerfile on the locally bootstrapped base (base-image.sh) instead of python:3.11-slim-bookworm;
#  - mysetlist-local/kafka, postgres and prometheus: what deploy/compose/local-images.yml swaps in for
#    the public images (same versions as the local stack: Kafka 4.1.1 from its Maven jars, PostgreSQL 15).
# An image whose inputs (files, build arguments, base) hash to its `mysetlist.inputs` label is not built
# again: even a cached `docker build` takes a minute per image on the vfs storage driver (daemon.sh's fallback).
#   images.sh [infra]   (infra: Kafka and PostgreSQL only, what the container-mode tests need)
set -euo pipefail
cd "$(dirname "$0")/../../.."
HERE=tools/stack/docker
SERVICES=(gateway progress shows-ingest catalog-ingest simulator)
KAFKA_IMAGE=mysetlist-local/kafka:4.1.1
POSTGRES_IMAGE=mysetlist-local/postgres:15
PROMETHEUS_IMAGE=mysetlist-local/prometheus:2
only="${1:-all}"

# inputs <base> <args> <paths...>: a hash of everything a build reads (as .dockerignore filters it)
inputs() {
  local base=$1 args=$2
  shift 2
  { docker image inspect -f '{{.Id}}' "$base"; echo "$args"
    tar -c --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --exclude=__pycache__ \
      --exclude=.pytest_cache --exclude=.venv "$@"; } | sha256sum | cut -c1-16
}

# build <image> <context> <inputs hash> [docker build options]; host network: no bridge may reach out
build() {
  local image=$1 context=$2 hash=$3
  shift 3
  local started=$SECONDS
  if [ "$(docker image inspect -f '{{index .Config.Labels "mysetlist.inputs"}}' "$image" 2>/dev/null)" = "$hash" ]
  then
    printf '  up to date %-37s\n' "$image"
    return
  fi
  if ! docker build -q --network host --label "mysetlist.inputs=$hash" -t "$image" "$@" "$context" \
    >.local/docker/build.log 2>&1; then
    cat .local/docker/build.log >&2
    echo "error: building $image failed" >&2
    exit 1
  fi
  printf '  built %-42s in %3ss\n' "$image" $((SECONDS - started))
}

started=$SECONDS
mkdir -p .local/docker
base=$(bash $HERE/base-image.sh)
if [ "$only" = all ]; then
  for service in "${SERVICES[@]}"; do
    hash=$(inputs "$base" "$service" Dockerfile .dockerignore pyproject.toml uv.lock libs services \
      tools/simulator tools/cli)
    build "mysetlist-$service:latest" . "$hash" --build-arg PYTHON="$base" --build-arg SERVICE="$service"
  done
  build "$PROMETHEUS_IMAGE" $HERE/prometheus "$(inputs "$base" - $HERE/prometheus)" --build-arg BASE="$base"
fi

# Kafka's context, laid out as /opt/kafka (one COPY): its start script, the log config and the jars the
# local stack resolved with Maven.
python3 tools/stack/stack.py install-kafka
context=.local/docker/kafka-context
rm -rf "$context" && mkdir -p "$context/kafka/bin" "$context/kafka/config"
cp $HERE/kafka/Dockerfile "$context/"
cp $HERE/kafka/run.sh "$context/kafka/bin/"
cp tools/stack/kafka/log4j2.properties "$context/kafka/config/"
cp -r .local/kafka/libs "$context/kafka/libs"
build "$KAFKA_IMAGE" "$context" "$(inputs "$base" - "$context")" --build-arg BASE="$base"
rm -rf "$context"
build "$POSTGRES_IMAGE" $HERE/postgres "$(inputs "$base" - $HERE/postgres)" --build-arg BASE="$base"

echo "images ($((SECONDS - started))s):"
images=("$KAFKA_IMAGE" "$POSTGRES_IMAGE")
if [ "$only" = all ]; then
  for service in "${SERVICES[@]}"; do images+=("mysetlist-$service:latest"); done
  images+=("$PROMETHEUS_IMAGE")
fi
for image in "${images[@]}"; do
  docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' "$image"
done
echo "  the engine's data root: $(du -sh .local/docker/data 2>/dev/null | cut -f1); $(df -h --output=avail .local/docker | tail -1 | tr -d ' ') free"
