"""The time sources the upstream code is handed (wall or monotonic clock, sleep), so tests can drive it
with a fake clock."""

from collections.abc import Awaitable, Callable
from typing import Any

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
