#!/usr/bin/env bash
# Docker Compose v2 against the project's engine: `compose.sh <compose arguments>`. Debian only packages
# compose 1.29 (which rejects the file's top-level `name`), so v2 is built once from its Go module into
# .local/docker/bin (needs Go; about 5 minutes on 2 cores, then cached).
set -euo pipefail
cd "$(dirname "$0")/../../.."
VERSION=v2.40.3
BIN="$PWD/.local/docker/bin/docker-compose-$VERSION"
export DOCKER_HOST="${DOCKER_HOST:-unix://$PWD/.local/docker/docker.sock}"

if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "error: Go is needed to build Docker Compose $VERSION" >&2; exit 1; }
  echo "compose: building Docker Compose $VERSION from its Go module (once)" >&2
  mkdir -p "$(dirname "$BIN")"
  # `go install module@version` refuses modules with exclude directives: build inside the module instead.
  src=$(GOTOOLCHAIN=local go mod download -json "github.com/docker/compose/v2@$VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  (cd "$src" && GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" -o "$BIN.partial" ./cmd)
  mv "$BIN.partial" "$BIN"
fi
exec "$BIN" "$@"
