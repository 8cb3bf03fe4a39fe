"""A child process that serves HTTP, for tests and benchmarks: started with its output in a log file, waited
for until its health URL answers, and stopped (terminate, then kill) however the caller's block ends.

Standard library only, so the benchmarks can use it without loading the services' dependencies."""

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


def answers(url: str) -> bool:
    """Does `url` answer 2xx now?"""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def serving_process(
    argv: Sequence[str],
    env: Mapping[str, str],
    health_url: str,
    log: Path,
    *,
    cwd: Path | None = None,
    start_within_s: float = 120,
    stop_within_s: float = 15,
) -> Iterator[None]:
    """Run `argv` (output in `log`) until the block ends; the block starts once `health_url` answers.
    RuntimeError with the log's tail when the process exits or does not answer within `start_within_s`."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + start_within_s
        while not answers(health_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text()[-3000:]
                raise RuntimeError(f"{' '.join(argv)} did not answer {health_url}:\n{tail}")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(stop_within_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
