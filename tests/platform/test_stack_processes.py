"""The stack knows its services by their own processes: a service whose launcher died is still seen as
running (and not started twice), and `up` with replicas then `down` leaves nothing behind."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from probes import free_port, http_ok, port_open, wait_until  # on sys.path via the root conftest
from processes import ServiceProcess, group_members, python, start_time
from python_services import SERVICES, start_services
from replicas import PORT_STEP, Replica, ReplicaError, count, leftovers

REPO = Path(__file__).resolve().parents[2]
MODULE = "mysetlist_simulator"  # the lightest service: no broker, no database


def processes_of(module: str, port: int) -> list[int]:
    """Every live process running `python -m module --port port`, whoever started it."""
    found = []
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmd.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-m" in argv and module.encode() in argv and str(port).encode() in argv:
            found.append(int(cmd.parent.name))
    return found


def free_ports(count: int) -> int:
    """A base port such that base + i x 100 is free for every replica i < count."""
    while True:
        base = free_port()
        if base + PORT_STEP * count < 65536 and not any(
            port_open(base + PORT_STEP * i) for i in range(count)
        ):
            return base


def test_replicas_are_named_and_placed_by_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_INGEST_REPLICAS", "3")
    svc = next(s for s in SERVICES if s.name == "catalog-ingest")
    replicas = svc.replicas()
    assert [(r.name, r.port) for r in replicas] == [
        ("catalog-ingest", svc.port),
        ("catalog-ingest-1", svc.port + 100),
        ("catalog-ingest-2", svc.port + 200),
    ]
    assert replicas[2].env({"CATALOG_INGEST_PORT": "1"})["CATALOG_INGEST_PORT"] == str(svc.port + 200)
    assert count("gateway") == 1  # only progress and the ingest services scale locally
    for bad in ("0", "two"):
        monkeypatch.setenv("CATALOG_INGEST_REPLICAS", bad)
        with pytest.raises(ReplicaError):
            count("catalog-ingest")
    for name in ("catalog-ingest-1", "catalog-ingest-4", "catalog-ingest-x"):
        (tmp_path / f"{name}.pid").write_text("1 1")
    found = leftovers("catalog-ingest", "mysetlist_catalog_ingest", 2, tmp_path, tmp_path)
    assert [p.name for p in found] == ["catalog-ingest-4"]


def test_a_service_whose_launcher_died_is_still_running_and_not_started_twice(tmp_path: Path) -> None:
    port = free_ports(1)
    replica = Replica("simulator", MODULE, "SIMULATOR_PORT", port, 0, tmp_path / "run", tmp_path / "logs")
    process = replica.process()
    # What `uv run` did: a launcher leads the session and the service is its child.
    launcher = subprocess.Popen(
        ["bash", "-c", f"{' '.join(python())} -m {MODULE} --port {port} & wait"],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process.pidfile.parent.mkdir(parents=True)
    process.pidfile.write_text(f"{launcher.pid} {start_time(launcher.pid)}")
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "simulator")
        [service_pid] = processes_of(MODULE, port)
        launcher.send_signal(signal.SIGKILL)
        launcher.wait()

        assert process.pid() == service_pid  # adopted from the dead launcher's group
        assert start_services([replica]) == {"simulator": "running"}
        assert processes_of(MODULE, port) == [service_pid]  # not started twice
        assert process.stop(grace=10)
        assert processes_of(MODULE, port) == []
        assert not port_open(port)
    finally:
        for pid in processes_of(MODULE, port):
            os.kill(pid, signal.SIGKILL)


def test_the_recorded_pid_is_the_service_itself(tmp_path: Path) -> None:
    port = free_ports(1)
    process = ServiceProcess("sim", tmp_path / "sim.pid", tmp_path / "sim.log", MODULE, ("--port", str(port)))
    pid = process.spawn_service(dict(os.environ))
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "simulator")
        assert process.pid() == pid
        assert process.ours(pid)
        assert os.getpgid(pid) == pid  # its own group: stop() signals it and whatever it starts
        # a reused pid that runs something else is not taken for the service
        other = ServiceProcess("other", tmp_path / "sim.pid", tmp_path / "o.log", "mysetlist_gateway")
        assert other.pid() is None
    finally:
        assert process.stop(grace=10)
    assert group_members(pid) == []
    assert not process.pidfile.exists()


@pytest.mark.real
def test_up_with_two_replicas_then_down_leaves_nothing_listening(
    tmp_path: Path, kafka_bootstrap: str, database_url: str, topic_prefix: str
) -> None:
    names = ("GATEWAY", "PROGRESS", "SHOWS_INGEST", "CATALOG_INGEST", "SIMULATOR", "PROMETHEUS")
    ports = {f"{name}_PORT": free_ports(2) for name in names}
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith(("_BASE_URL", "_REPLICAS"))},
        **{key: str(port) for key, port in ports.items()},
        "MYSETLIST_LOCAL_DIR": str(tmp_path / "local"),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,  # the session's broker and cluster: served, so left alone
        "DATABASE_URL": database_url,
        "KAFKA_TOPIC_PREFIX": topic_prefix,
        "SHOWS_INGEST_REPLICAS": "2",
        "CATALOG_INGEST_REPLICAS": "2",
    }
    listening = [*ports.values(), ports["SHOWS_INGEST_PORT"] + 100, ports["CATALOG_INGEST_PORT"] + 100]

    def stack_py(command: str, extra: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            [sys.executable, str(REPO / "tools" / "stack" / "stack.py"), command],
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        return proc.stdout + proc.stderr

    try:
        out = stack_py("up")
        assert "shows-ingest-1" in out and "catalog-ingest-1" in out, out
        status = stack_py("status")
        for name, port in (
            ("shows-ingest-1", "SHOWS_INGEST_PORT"),
            ("catalog-ingest-1", "CATALOG_INGEST_PORT"),
        ):
            [row] = [row for row in status.splitlines() if row.split()[0] == name]
            assert f"127.0.0.1:{ports[port] + 100}" in row and "up (pid " in row, status
        assert stack_py("up").count(" running") >= 7  # a second `up` starts nothing
    finally:
        # fewer replicas than were started: `down` still stops the ones an earlier `up` left
        out = stack_py("down", {"SHOWS_INGEST_REPLICAS": "1", "CATALOG_INGEST_REPLICAS": "1"})
    assert "shows-ingest-1" in out and "catalog-ingest-1" in out, out
    assert [port for port in listening if port_open(port)] == []
    assert not list((tmp_path / "local" / "run").glob("*.pid"))
