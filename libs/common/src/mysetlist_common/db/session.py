"""Async engine and session factory."""

from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from mysetlist_common.settings import get_settings


def make_engine(url: str | None = None, pool_size: int = 10) -> AsyncEngine:
    settings = get_settings()
    # Bounded waits: while PostgreSQL is down a request fails within seconds (503) instead of hanging on
    # asyncpg's 60 s connect timeout or on a pool that never frees up.
    return create_async_engine(
        url or settings.database_url,
        pool_size=pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.database_pool_timeout_s,
        connect_args={"timeout": settings.database_connect_timeout_s},
    )


@lru_cache
def get_engine() -> AsyncEngine:
    return make_engine()


def session_factory(engine: AsyncEngine | None = None) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine or get_engine(), expire_on_commit=False)
