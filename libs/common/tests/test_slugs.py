"""Slugs: ASCII for any name, unique per artist on the real database, old slugs kept as aliases."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist, ArtistSlugAlias
from mysetlist_common.db.session import make_engine
from mysetlist_common.phases.slugs import assign_name_slug, slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Sigur Rós", "sigur-ros"),
        ("Beyoncé", "beyonce"),
        ("Mötley Crüe", "motley-crue"),
        ("AC/DC", "ac-dc"),
        ("Simon & Garfunkel", "simon-and-garfunkel"),
        ("Røyksopp", "royksopp"),
        ("  The   Band!! ", "the-band"),
    ],
)
def test_slugify_ascii(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugify_falls_back_to_stable_short_id() -> None:
    slug = slugify("東京事変")
    assert slug.startswith("artist-") and slug.isascii() and len(slug) <= 20
    assert slug == slugify("東京事変") and slug != slugify("きゃりーぱみゅぱみゅ")


def test_slugify_caps_length() -> None:
    assert len(slugify("word " * 100)) <= 80


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


async def _shell(sessions: async_sessionmaker[AsyncSession], tm_attraction_id: str) -> object:
    async with sessions.begin() as session:
        return await session.scalar(
            text("INSERT INTO artist (name, slug, tm_attraction_id) VALUES (:id, :slug, :tm) RETURNING id"),
            {"id": tm_attraction_id, "tm": tm_attraction_id, "slug": f"tm-{tm_attraction_id.lower()}"},
        )


@pytest.mark.real
async def test_same_named_artists_get_distinct_slugs_and_old_slugs_resolve(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ids = [await _shell(sessions, f"K8SLUG{n}") for n in range(3)]

    async def rename(artist_id: object) -> str:
        async with sessions.begin() as session:
            return await assign_name_slug(session, artist_id, "Sigur Rós")  # type: ignore[arg-type]

    slugs = await asyncio.gather(*(rename(i) for i in ids))  # concurrent: the constraint settles races
    assert sorted(slugs) == ["sigur-ros", "sigur-ros-2", "sigur-ros-3"]
    assert await rename(ids[0]) == slugs[0]  # renaming to the same name changes nothing
    async with sessions() as session:
        aliases = dict((await session.execute(select(ArtistSlugAlias.slug, ArtistSlugAlias.artist_id))).all())
        stored = dict((await session.execute(select(Artist.id, Artist.slug).where(Artist.id.in_(ids)))).all())
    for artist_id, n in zip(ids, range(3), strict=True):
        assert aliases[f"tm-k8slug{n}"] == artist_id
    assert sorted(stored.values()) == sorted(slugs)
