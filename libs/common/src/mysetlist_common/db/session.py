"""Async engine and session factory."""

from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from mysetlist_common.settings import get_settings


def make_engine(url: str | None = None, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url or get_settings().database_url, pool_size=pool_size, pool_pre_ping=True)


@lru_cache
def get_engine() -> AsyncEngine:
    return make_engine()


def session_factory(engine: AsyncEngine | None = None) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine or get_engine(), expire_on_commit=False)
