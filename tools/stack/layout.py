"""Where the local stack keeps things: the repository, its own folder, and the git-ignored `.local/` (data,
logs, pid files; MYSETLIST_LOCAL_DIR moves it), plus the lock that serialises starts and stops.
Stdlib only, like every module of tools/stack: they run before `uv sync`."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STACK = Path(__file__).resolve().parent
LOCAL = Path(os.environ.get("MYSETLIST_LOCAL_DIR", REPO / ".local"))
LOGS = LOCAL / "logs"
RUN = LOCAL / "run"
RULES = REPO / "deploy" / "observability" / "prometheus-rules.yml"


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """Serialise starts and stops: several test sessions may ask for the same broker at once."""
    LOCAL.mkdir(parents=True, exist_ok=True)
    with open(LOCAL / "stack.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
