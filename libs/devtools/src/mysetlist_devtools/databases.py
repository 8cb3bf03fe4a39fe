"""Databases of their own on a shared PostgreSQL server, for tests and benchmarks: statements run as the
server's admin (CREATE and DROP DATABASE), from synchronous code too, and a database's URL by name."""

import asyncio
import concurrent.futures
import urllib.parse
from collections.abc import Callable, Coroutine
from typing import Any


def run_in_thread(fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
    """Run a coroutine on its own loop in a worker thread: callable where an event loop already runs (a
    pytest-asyncio test, a fixture) without touching that loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(fn(*args))).result()


async def admin(url: str, *statements: str) -> list[list[Any]]:
    """Run `statements` one by one (outside a transaction, as CREATE DATABASE needs); the rows of each."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [await conn.fetch(sql) for sql in statements]
    finally:
        await conn.close()


def with_database(url: str, name: str) -> str:
    """`url` pointed at the database `name` of the same server."""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{name}"))
