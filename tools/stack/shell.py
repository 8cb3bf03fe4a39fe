"""Running commands for the stack: a command that fails is a StackError carrying its output, and Debian
packages are installed without their daemons starting system-wide."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


class StackError(RuntimeError):
    """A problem the person running the stack has to fix; the message says how."""


def say(msg: str) -> None:
    print(msg, flush=True)


def run(argv: Sequence[str], capture: bool = False, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise StackError(f"`{' '.join(argv)}` failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout if capture else ""


def uv() -> list[str]:
    """The uv launcher: on PATH, else as a module of this Python."""
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def apt_install(packages: Sequence[str]) -> None:
    """Install Debian packages without letting their maintainer scripts start system-wide daemons
    (Debian's postgresql and prometheus would otherwise grab 5432 and 9090 behind the stack's back)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(f"missing packages {' '.join(packages)}: install them (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    say(f"apt-get install {' '.join(packages)}")
    run(["apt-get", "update", "-qq"], env=env)
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env)
    finally:
        if ours:
            policy.unlink(missing_ok=True)
