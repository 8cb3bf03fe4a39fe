"""Imports running in this process, counted so the ISRC backfill (`backfill.py`) yields to them."""

import asyncio
from dataclasses import dataclass, field


@dataclass
class Activity:
    """Imports running in this process: the ISRC backfill yields to them."""

    running: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()

    def enter(self) -> None:
        self.running += 1
        self.idle.clear()

    def leave(self) -> None:
        self.running -= 1
        if self.running == 0:
            self.idle.set()
