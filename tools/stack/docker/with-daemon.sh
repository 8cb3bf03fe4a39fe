#!/usr/bin/env bash
# Run one command with the project's Docker engine up: `with-daemon.sh <command...>`. Starts the engine
# when it is not running and then stops it again (and cleans up after it) however the command ends, so
# CI never leaves a daemon, bridge or iptables chain behind. An engine that was already up stays up.
set -euo pipefail
cd "$(dirname "$0")/../../.."
daemon=tools/stack/docker/daemon.sh
eval "$(bash $daemon env)"
if ! bash $daemon status >/dev/null 2>&1; then
  trap 'bash '"$daemon"' stop && bash '"$daemon"' check-clean' EXIT
  trap 'exit 130' INT TERM  # run the EXIT trap on Ctrl-C or a CI kill too
  bash $daemon start
fi
"$@"
