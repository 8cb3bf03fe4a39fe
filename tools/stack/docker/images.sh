#!/usr/bin/env bash
# `make images`: every image of the system on the project's Docker engine (started by
# tools/stack/docker/daemon.sh; DOCKER_HOST points at it), then each image's name and size.
#  - mysetlist-<service>:latest for gateway, progress, shows-ingest, catalog-ingest and simulator, from the
#    root Dockerfile on the locally bootstrapped base (base-image.sh) instead of python:3.11-slim-bookworm;
#  - mysetlist-local/kafka, postgres and prometheus: what deploy/compose/local-images.yml swaps in for
#    the public images (same versions as the local stack: Kafka 4.1.1 from its Maven jars, PostgreSQL 15).
# Docker's layer cache (under .local/docker) makes a second run take seconds.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HERE=tools/stack/docker
SERVICES=(gateway progress shows-ingest catalog-ingest simulator)
KAFKA_IMAGE=mysetlist-local/kafka:4.1.1
POSTGRES_IMAGE=mysetlist-local/postgres:15
PROMETHEUS_IMAGE=mysetlist-local/prometheus:2

only="${1:-all}"  # `images.sh infra`: Kafka and PostgreSQL only (what the container-mode tests need)
build() {  # build <image> <context> [docker build options]: host network, as no bridge may reach out
  local image=$1 context=$2
  shift 2
  local started=$SECONDS
  if ! docker build -q --network host -t "$image" "$@" "$context" >.local/docker/build.log 2>&1; then
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
    build "mysetlist-$service:latest" . --build-arg PYTHON="$base" --build-arg SERVICE="$service"
  done
  build "$PROMETHEUS_IMAGE" $HERE/prometheus --build-arg BASE="$base"
fi

# Kafka's context: its Dockerfile and start script plus the jars the local stack resolved with Maven.
python3 tools/stack/stack.py install-kafka
context=.local/docker/kafka-context
rm -rf "$context" && mkdir -p "$context"
mkdir -p "$context/kafka/bin" "$context/kafka/config"  # laid out as /opt/kafka: one COPY
cp $HERE/kafka/Dockerfile "$context/"
cp $HERE/kafka/run.sh "$context/kafka/bin/"
cp tools/stack/kafka/log4j2.properties "$context/kafka/config/"
cp -r .local/kafka/libs "$context/kafka/libs"
build "$KAFKA_IMAGE" "$context" --build-arg BASE="$base"
rm -rf "$context"
build "$POSTGRES_IMAGE" $HERE/postgres --build-arg BASE="$base"

echo "images ($((SECONDS - started))s):"
images=("$KAFKA_IMAGE" "$POSTGRES_IMAGE")
if [ "$only" = all ]; then
  for service in "${SERVICES[@]}"; do images+=("mysetlist-$service:latest"); done
  images+=("$PROMETHEUS_IMAGE")
fi
for image in "${images[@]}"; do
  docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' "$image"
done
