#!/usr/bin/env bash
# Installs what the project needs when it is missing: Java + Maven, Debian's PostgreSQL server, uv, the
# Python environment (uv sync) and the Kafka jars (Maven). Options add Chromium (browser tests) and
# Prometheus (the local stack's metrics). Safe to run again: it only installs what is not there.
set -euo pipefail
cd "$(dirname "$0")/../.."

browser=0 prometheus=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    --prometheus) prometheus=1 ;;
    *) echo "usage: $0 [--browser] [--prometheus]" >&2; exit 2 ;;
  esac
done

missing=()
command -v java >/dev/null || missing+=(default-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null || missing+=(util-linux)
if [ "$browser" = 1 ]; then command -v chromium >/dev/null || missing+=(chromium fonts-liberation); fi
if [ "$prometheus" = 1 ]; then command -v prometheus >/dev/null || missing+=(prometheus); fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    python3 tools/stack/stack.py apt-install "${missing[@]}"
  else
    echo "error: missing ${missing[*]}." >&2
    echo "Install Java 17+, Maven, the PostgreSQL server and uv (README: 'Other systems'), or use docker compose." >&2
    exit 1
  fi
fi

if ! command -v uv >/dev/null && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "installing uv with pip"
  python3 -m pip install --quiet uv 2>/dev/null || python3 -m pip install --quiet --break-system-packages uv
fi
uv_cmd() { if command -v uv >/dev/null; then uv "$@"; else python3 -m uv "$@"; fi; }
uv_cmd sync --quiet

python3 tools/stack/stack.py install-kafka
python3 tools/stack/stack.py install-postgres
