#!/usr/bin/env bash
# `make demo` after `make up`: import sample artists through the running stack and show the result.
# Sample artists span the upstream simulator's data: a sparse, a mid-sized and a prolific catalog.
# Extend DEMO_ARTISTS / the import command as the CLI grows (tools/cli: the `mysetlist` command).
set -euo pipefail
cd "$(dirname "$0")/../.."
UV=$(command -v uv || echo "python3 -m uv")

# Ticketmaster attraction ids of the sample artists (sparse, mid, prolific); override with DEMO_ARTISTS.
DEMO_ARTISTS=${DEMO_ARTISTS:-}

if ! $UV run --no-sync python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('mysetlist_cli.__main__') is None)" 2>/dev/null; then
  echo "demo: the mysetlist CLI is not built yet: the stack is up (see above), nothing to import."
  exit 0
fi
if [ -z "$DEMO_ARTISTS" ]; then
  echo "demo: no sample artists configured yet (DEMO_ARTISTS): the stack is up (see above)."
  exit 0
fi
for artist in $DEMO_ARTISTS; do
  echo "demo: importing $artist"
  $UV run --no-sync mysetlist import "$artist"
done
