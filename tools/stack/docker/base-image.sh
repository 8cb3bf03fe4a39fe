#!/usr/bin/env bash
# The local stand-in for python:3.11-slim-bookworm (no registry is reachable here): Debian bookworm
# made with debootstrap, plus Debian's Python 3.11 and pip, imported as an image. Every local image
# (the services', Kafka, PostgreSQL, Prometheus) builds FROM it. The root file system is cached as a
# tarball under .local/docker/cache, so a new daemon data root re-imports it in seconds.
#   base-image.sh [image name]   (default mysetlist-local/python:3.11-bookworm; prints the name)
# Needs DOCKER_HOST pointing at a running engine (tools/stack/docker/daemon.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
IMAGE="${1:-mysetlist-local/python:3.11-bookworm}"
CACHE="$PWD/.local/docker/cache"
TARBALL="$CACHE/bookworm-python.tar"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then echo "$IMAGE"; exit 0; fi

if [ ! -f "$TARBALL" ]; then
  command -v debootstrap >/dev/null || python3 tools/stack/stack.py apt-install debootstrap >&2
  root="$CACHE/bookworm-root"
  rm -rf "$root" && mkdir -p "$root"
  echo "base image: debootstrap bookworm into $root" >&2
  # minbase: essential packages and apt only; python3-pip and passwd (useradd) as the python image has
  debootstrap --variant=minbase --include=python3,python3-pip,python-is-python3,passwd,ca-certificates \
    bookworm "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
    tail -20 "$CACHE/debootstrap.log" >&2
    exit 1
  }
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  # Like the python image, pip may install into the system Python (it is the image's only Python).
  rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -cf "$TARBALL.partial" . && mv "$TARBALL.partial" "$TARBALL"
  rm -rf "$root"
fi

# The pure Debian root as an image, then the host's own added CA certificates on top: where a
# TLS-inspecting proxy stands between this machine and PyPI or Debian, builds must trust what the host
# trusts. uv reads SSL_CERT_FILE (it ships its own roots otherwise). policy-rc.d keeps packages'
# services from starting during builds, as in Debian's own images.
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  "$TARBALL" "$IMAGE-debian" >/dev/null
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir "$context/certs"
cp /usr/local/share/ca-certificates/*.crt "$context/certs/" 2>/dev/null || true
cat >"$context/Dockerfile" <<DOCKERFILE
FROM $IMAGE-debian
COPY certs/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null \
 && printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
DOCKERFILE
docker build -q -t "$IMAGE" "$context" >"$CACHE/build.log" 2>&1 || { cat "$CACHE/build.log" >&2; exit 1; }
docker rmi "$IMAGE-debian" >/dev/null
echo "$IMAGE"
