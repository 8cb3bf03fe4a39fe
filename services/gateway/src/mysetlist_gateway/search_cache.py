"""The artist search's in-process cache: people type the same prefixes again and again, and Ticketmaster
allows 5 requests/s per key, so answers are kept briefly and identical searches in flight share one call."""

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial

from mysetlist_common.upstream.ticketmaster.models import Attraction

CACHE_MAX_ENTRIES = 1024

Search = Callable[[str, int], Awaitable[list[Attraction]]]
Key = tuple[str, int]  # (casefolded query, limit)


class SearchCache:
    """A small TTL + LRU cache with single flight: an entry holds the search's task, so concurrent misses
    of one key await one upstream call (and one caller going away does not cancel it for the others)."""

    def __init__(self, ttl_s: float, max_entries: int = CACHE_MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        # key -> (expiry, task); a search in flight expires never, until it settles
        self._entries: OrderedDict[Key, tuple[float, asyncio.Future[list[Attraction]]]] = OrderedDict()

    async def get(self, key: Key, load: Callable[[], Awaitable[list[Attraction]]]) -> list[Attraction]:
        expires, task = self._entries.get(key, (0.0, None))
        if task is None or expires <= time.monotonic():
            task = asyncio.ensure_future(load())
            task.add_done_callback(partial(self._settled, key))
            self._entries[key] = (math.inf, task)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return await asyncio.shield(task)

    def _settled(self, key: Key, task: asyncio.Future[list[Attraction]]) -> None:
        if self._entries.get(key, (0.0, None))[1] is not task:
            return  # evicted while in flight
        if task.cancelled() or task.exception() is not None:
            # only successes are cached: an upstream hiccup must not stick for a minute
            del self._entries[key]
        else:
            self._entries[key] = (time.monotonic() + self.ttl_s, task)
