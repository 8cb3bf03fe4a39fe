#!/usr/bin/env bash
# The project's own Docker engine: `daemon.sh start|stop|status|check-clean|env`. Everything it owns
# lives under .local/docker (data, exec root, pid file, socket, log); `stop` also removes what dockerd
# leaves behind when it exits (its bridges, iptables chains, the mounted netns/default), so nothing
# outlives a run; `check-clean` fails if any of that is still there. Clients reach it with
# DOCKER_HOST=unix://<repo>/.local/docker/docker.sock (`eval "$(daemon.sh env)"`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
REPO=$PWD
HOME_DIR="$REPO/.local/docker"
SOCK="$HOME_DIR/docker.sock"
PIDFILE="$HOME_DIR/dockerd.pid"
HOST_STATE="$HOME_DIR/host-state"  # FORWARD policy and ip_forward before dockerd changed them
export DOCKER_HOST="unix://$SOCK"

our_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

# Another engine (the system's, another clone's) shares docker0 and the iptables chains: leave those alone.
foreign_daemon() {
  local ours pid
  ours=$(our_pid || true)
  for pid in $(pgrep -x dockerd || true); do
    [ "$pid" != "$ours" ] && return 0
  done
  return 1
}

install() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ip >/dev/null || missing+=(iproute2)
  if [ ${#missing[@]} -gt 0 ]; then
    # stack.py's apt-install keeps the package's own service from starting system-wide
    python3 tools/stack/stack.py apt-install "${missing[@]}"
  fi
}

# overlay2 stores each layer as a diff; vfs (needed where overlay mounts are refused: inside a container,
# on an overlay file system) copies the whole file system per layer, which for the eight images is tens of
# GB and has filled a CI machine's disk. MYSETLIST_DOCKER_STORAGE_DRIVER overrides the probe.
storage_driver() {
  if [ -n "${MYSETLIST_DOCKER_STORAGE_DRIVER:-}" ]; then
    echo "$MYSETLIST_DOCKER_STORAGE_DRIVER"
    return
  fi
  local probe="$HOME_DIR/overlay-probe" driver=vfs
  rm -rf "$probe" && mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
    "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    driver=overlay2
  fi
  rm -rf "$probe"
  echo "$driver"
}

start() {
  if our_pid >/dev/null && docker info >/dev/null 2>&1; then
    echo "docker: running ($DOCKER_HOST)"
    return
  fi
  [ "$(id -u)" = 0 ] || { echo "error: the Docker engine needs root" >&2; exit 1; }
  install
  if foreign_daemon; then
    echo "error: another dockerd runs (pid $(pgrep -x dockerd | tr '\n' ' ')); stop it first:" \
      "two engines would fight over docker0 and the iptables chains" >&2
    exit 1
  fi
  cleanup  # what a killed earlier run may have left
  mkdir -p "$HOME_DIR/data" "$HOME_DIR/exec"
  # dockerd sets FORWARD to DROP and turns on ip_forward: remember both to put them back
  echo "$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}') $(cat /proc/sys/net/ipv4/ip_forward)" \
    >"$HOST_STATE"
  local driver
  driver=$(storage_driver)
  echo "docker: storage driver $driver; $(df -h --output=avail "$HOME_DIR" | tail -1 | tr -d ' ') free for $HOME_DIR"
  setsid dockerd \
    --data-root "$HOME_DIR/data" --exec-root "$HOME_DIR/exec" --pidfile "$PIDFILE" \
    -H "unix://$SOCK" --storage-driver "$driver" --log-level warn \
    </dev/null >>"$HOME_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 120); do
    docker info >/dev/null 2>&1 && { echo "docker: started ($DOCKER_HOST)"; return; }
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  echo "error: dockerd did not start; see $HOME_DIR/dockerd.log:" >&2
  tail -20 "$HOME_DIR/dockerd.log" >&2
  stop
  exit 1
}

stop() {
  local pid
  if pid=$(our_pid); then
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    echo "docker: stopped"
  fi
  cleanup
}

# What an exited dockerd leaves: container shims, mounts under .local/docker, bridges, iptables chains.
cleanup() {
  local pid mnt bridge chain table policy forward
  for pid in $(pgrep -f containerd-shim || true); do  # only the shims of *our* containerd (its address)
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$HOME_DIR/"; then kill -KILL "$pid" || true; fi
  done
  awk -v root="$HOME_DIR/" 'index($2, root) == 1 {print $2}' /proc/self/mounts | sort -r |
    while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
  rm -f "$PIDFILE" "$SOCK"
  if foreign_daemon; then return 0; fi
  # docker0 and the br-<network id> bridges of user-defined networks (compose's)
  for bridge in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 |
    grep -E '^(docker0|br-[0-9a-f]{12})$' || true); do
    ip link delete "$bridge" || true
  done
  command -v iptables >/dev/null || return 0
  for table in filter nat; do
    # rules in the built-in chains that jump to, or exist for, Docker's chains and bridges
    iptables -t "$table" -S 2>/dev/null | { grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ' || true; } |
      { grep -E -- '-j DOCKER|docker0|br-[0-9a-f]{12}' || true; } | sed 's/^-A /-D /' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null || true; done
    for chain in DOCKER DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2; do
      iptables -t "$table" -F "$chain" 2>/dev/null && iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  if [ -f "$HOST_STATE" ]; then
    read -r policy forward <"$HOST_STATE" || true
    [ -n "${policy:-}" ] && iptables -P FORWARD "$policy"
    [ -n "${forward:-}" ] && echo "$forward" >/proc/sys/net/ipv4/ip_forward
    rm -f "$HOST_STATE"
  fi
}

# After `stop`: fail, naming it, if anything of the engine is left (CI runs this at the end).
check_clean() {
  local left=()
  our_pid >/dev/null && left+=("dockerd (pid $(our_pid))")
  pgrep -f containerd-shim | while read -r pid; do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$HOME_DIR/" && echo "$pid"
  done | grep -q . && left+=("container shims")
  awk -v root="$HOME_DIR/" 'index($2, root) == 1' /proc/self/mounts | grep -q . && left+=("mounts under $HOME_DIR")
  if ! foreign_daemon; then
    ip -o link show type bridge 2>/dev/null | grep -qE ': (docker0|br-[0-9a-f]{12})[:@]' && left+=("bridges")
    iptables -S 2>/dev/null | grep -q -- '-N DOCKER' && left+=("iptables filter chains")
    iptables -t nat -S 2>/dev/null | grep -q -- '-N DOCKER' && left+=("iptables nat chains")
  fi
  if [ ${#left[@]} -gt 0 ]; then
    echo "error: left behind by the Docker engine: ${left[*]}" >&2
    return 1
  fi
  echo "docker: nothing left behind (no daemon, container, bridge, iptables chain or mount)"
}

status() {
  if our_pid >/dev/null && docker info >/dev/null 2>&1; then echo "docker: running ($DOCKER_HOST)"
  else echo "docker: not running"; return 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  check-clean) check_clean ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *) echo "usage: $0 start|stop|status|check-clean|env" >&2; exit 2 ;;
esac
