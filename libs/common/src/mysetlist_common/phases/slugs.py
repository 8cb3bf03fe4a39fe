"""URL slugs: ASCII, lowercase, hyphenated, unique per artist, and old slugs keep resolving."""

import hashlib
import re
import unicodedata
from uuid import UUID

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.db.schema import Artist, ArtistSlugAlias

MAX_BASE = 80
# Letters that Unicode does not decompose into ASCII.
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss", "ł": "l", "Ł": "l",
     "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i", "&": " and ", "+": " plus "}
)  # fmt: skip
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """ASCII slug of a name; a stable short id when nothing ASCII remains (e.g. "東京事変")."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATE))
    ascii_text = decomposed.encode("ascii", "ignore").decode().lower()
    slug = _NOT_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > MAX_BASE:
        slug = slug[:MAX_BASE].rsplit("-", 1)[0] or slug[:MAX_BASE]
    if not slug:
        digest = hashlib.blake2b(unicodedata.normalize("NFC", name).encode(), digest_size=5).hexdigest()
        slug = f"artist-{digest}"
    return slug


def _fits(slug: str, base: str) -> bool:
    """Whether `slug` is `base` or `base-N`: the artist's slug already belongs to this name."""
    return slug == base or re.fullmatch(re.escape(base) + r"-\d+", slug) is not None


async def assign_name_slug(session: AsyncSession, artist_id: UUID, name: str, *, attempts: int = 5) -> str:
    """Give the artist a unique slug for `name`; its previous slug stays as an alias.

    Same-named artists get `name`, `name-2`, `name-3`... A concurrent rename that takes the chosen slug
    first trips the unique constraint; the savepoint rolls back and the next free suffix is tried.
    """
    base = slugify(name)
    current = await session.scalar(select(Artist.slug).where(Artist.id == artist_id))
    if current is None:
        raise LookupError(f"no artist {artist_id}")
    if _fits(current, base):
        return current
    pattern = f"{base}-%"
    for _ in range(attempts):
        # every slug of this name already taken by another artist or alias, in one round trip
        taken_by_artists = select(Artist.slug).where(
            or_(Artist.slug == base, Artist.slug.like(pattern)), Artist.id != artist_id
        )
        taken_by_aliases = select(ArtistSlugAlias.slug).where(
            or_(ArtistSlugAlias.slug == base, ArtistSlugAlias.slug.like(pattern)),
            ArtistSlugAlias.artist_id != artist_id,
        )
        taken = set((await session.scalars(taken_by_artists.union(taken_by_aliases))).all())
        candidate = base
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        try:
            async with session.begin_nested():
                await session.execute(
                    pg_insert(ArtistSlugAlias)
                    .values(slug=current, artist_id=artist_id)
                    .on_conflict_do_nothing(index_elements=[ArtistSlugAlias.slug])
                )
                await session.execute(update(Artist).where(Artist.id == artist_id).values(slug=candidate))
        except IntegrityError:
            continue  # someone took `candidate` meanwhile: look again
        return candidate
    raise RuntimeError(f"could not find a free slug for {name!r} after {attempts} attempts")
