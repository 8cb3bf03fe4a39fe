#!/usr/bin/env bash
# `make demo` after `make up`: import the sample artists through the running stack with the CLI.
# The samples are the simulator's sparse, mid and prolific artists (one each, with events and a Spotify
# catalog), or the Ticketmaster attraction ids in DEMO_ARTISTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
UV=$(command -v uv || echo "python3 -m uv")
SIM="http://127.0.0.1:${SIMULATOR_PORT:-8100}"
GATEWAY="http://127.0.0.1:${GATEWAY_PORT:-8000}"

if [ -z "${DEMO_ARTISTS:-}" ]; then
  # One artist per profile that has both shows and songs to import.
  DEMO_ARTISTS=$(curl -fsS "$SIM/_sim/artists" | python3 -c '
import json, sys
artists = json.load(sys.stdin)
for profile in ("sparse", "mid", "prolific"):
    full = [a for a in artists if a["profile"] == profile and a["events"] and a["recordings"] and a["spotify_id"]]
    if full:
        print(full[0]["tm_attraction_id"])
')
fi

started=$(date +%s)
for artist in $DEMO_ARTISTS; do
  echo "demo: importing $artist"
  MYSETLIST_URL="$GATEWAY" $UV run --no-sync mysetlist import --id "$artist"
done
echo "demo: imported $(wc -w <<<"$DEMO_ARTISTS") artists in $(( $(date +%s) - started ))s; the page: $GATEWAY/"
