"""The Alembic migrations go up, down and up again on the real PostgreSQL, and match schema.py."""

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from mysetlist_common.db import migrate
from mysetlist_common.db.schema import Base

pytestmark = pytest.mark.real
T = TypeVar("T")


def in_thread(fn: Callable[..., T], *args: object) -> T:
    """Alembic's env.py runs its own event loop: keep it off the test's loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {r[0] for r in rows}
    finally:
        await engine.dispose()


async def schema_drift(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()


async def test_up_down_up(database_url: str) -> None:
    expected = set(Base.metadata.tables)
    assert expected <= await tables(database_url), "the template database is at head"

    in_thread(migrate.downgrade, database_url, "base")
    assert await tables(database_url) <= {"alembic_version"}

    in_thread(migrate.upgrade, database_url, "head")
    assert expected | {"alembic_version"} == await tables(database_url)
    assert await schema_drift(database_url) == [], "migrations and db/schema.py disagree"


async def test_migrations_run_twice_is_harmless(database_url: str) -> None:
    in_thread(migrate.upgrade, database_url, "head")
    in_thread(migrate.upgrade, database_url, "head")
    assert await asyncio.wait_for(schema_drift(database_url), 30) == []
