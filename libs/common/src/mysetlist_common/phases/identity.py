"""The artist's identity as Ticketmaster knows it (name, slug, image, Spotify id, MBID).

Both phases need it: the shows phase records it first thing, and the catalog phase fetches and records it
itself when the shows phase has not done so in time (never searching Spotify for a placeholder name).
"""

from uuid import UUID

from sqlalchemy import case, exists, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.db.schema import Artist
from mysetlist_common.phases.slugs import assign_name_slug
from mysetlist_common.upstream.ticketmaster.models import Attraction


async def write_identity(session: AsyncSession, artist_id: UUID, attraction: Attraction) -> None:
    """Name, slug, image, Spotify id and MBID; a missing value never replaces a known one."""
    await assign_name_slug(session, artist_id, attraction.name)
    spotify_id = attraction.spotify_id
    other = Artist.__table__.alias("other")
    # the Spotify id is unique: if another artist already holds it, keep ours as it is
    spotify_free = ~exists().where(other.c.spotify_id == spotify_id, other.c.id != artist_id)
    values = {
        "name": attraction.name,
        "image_url": func.coalesce(attraction.image_url, Artist.image_url),
        "spotify_id": case(
            (spotify_free, func.coalesce(spotify_id, Artist.spotify_id)), else_=Artist.spotify_id
        ),
        "mbid": func.coalesce(attraction.mbid, Artist.mbid),
        "identity_synced_at": func.now(),
        "updated_at": func.now(),
    }
    await session.execute(update(Artist).where(Artist.id == artist_id).values(values))
