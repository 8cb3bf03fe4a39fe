"""The stack's Python services as processes: started with the workspace's own interpreter (no `uv run`
launcher in between) in a session of their own, known by pid AND by what runs under that pid, stopped a
whole process group at a time.

Why: a pid file that holds a launcher makes the stack believe a service is down as soon as the launcher
dies, although the service still serves (and `make up` would start a second one). Stdlib only, like
every module of tools/stack.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layout import REPO
from shell import uv


def start_time(pid: int) -> str | None:
    """The kernel's start time of a process: with the pid it names one process, even after pid reuse."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def python() -> list[str]:
    """The workspace's interpreter, run directly so the recorded pid is the service itself."""
    venv = REPO / ".venv" / "bin" / "python"
    if venv.exists():
        return [str(venv)]
    return [*uv(), "run", "--no-sync", "python"]  # no venv yet: the launcher (adoption below finds it)


@dataclass
class Daemon:
    """A background process in its own session, remembered by a pid file ("pid start-time")."""

    name: str
    pidfile: Path
    logfile: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def pid(self) -> int | None:
        try:
            pid_text, started = self.pidfile.read_text().split()
            pid = int(pid_text)
        except (OSError, ValueError):
            return None
        # A stale pid file (after a reboot, say) must never make us signal someone else's process.
        return pid if start_time(pid) == started else None

    def _record(self, pid: int) -> None:
        self.pidfile.write_text(f"{pid} {start_time(pid)}")

    def spawn(self, argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> int:
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as log:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() takes whatever it starts too
            )
        self._record(proc.pid)
        self._proc = proc
        return proc.pid

    def alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self.pid() is not None

    def stop(self, grace: float = 30.0) -> bool:
        """SIGTERM its whole group, SIGKILL what is left after `grace` s. True when it was running."""
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            return False
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            self.pidfile.unlink(missing_ok=True)
            return False
        stop_group(pgid, grace, self._proc)
        self.pidfile.unlink(missing_ok=True)
        return True


@dataclass
class ServiceProcess(Daemon):
    """`python -m module`: a daemon known by its own process, not by a launcher that started it."""

    module: str = ""
    args: tuple[str, ...] = ()

    def ours(self, pid: int) -> bool:
        """Is `pid` this service (and not a launcher, a shell or someone else's reused pid)?"""
        argv = cmdline(pid)
        return any(argv[i : i + 2] == ["-m", self.module] for i in range(len(argv) - 1))

    def pid(self) -> int | None:
        """The live service's pid, or None. A pid file naming a dead launcher is not the end of it:
        the service it started lives on in the launcher's process group, and is adopted."""
        try:
            pid = int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        found = super().pid()
        if found is not None and self.ours(found):
            return found
        for member in group_members(pid):  # the pid was the group's (and session's) leader
            if self.ours(member):
                self._record(member)
                return member
        return None

    def spawn_service(self, env: dict[str, str], cwd: Path = REPO) -> int:
        return self.spawn([*python(), "-m", self.module, *self.args], env, cwd)


def stop_group(pgid: int, grace: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    def alive() -> bool:
        if proc is not None:
            proc.poll()  # reap our own child so it does not linger as a zombie
        return bool(group_members(pgid))

    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive():
        time.sleep(0.2)
    if alive():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        while alive():
            time.sleep(0.1)


def peak_rss_kib(pid: int) -> int | None:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith("VmHWM:"):
                return int(text.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
