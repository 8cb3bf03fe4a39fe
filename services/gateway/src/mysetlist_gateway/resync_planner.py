"""The resync planner: which imported artists to refresh next, and what it costs of Ticketmaster's day.

An artist is due when its last import failed, never completed, or is older than RESYNC_MIN_AGE_S;
failures first, then the stalest (artists with upcoming shows count as twice as stale: their data
changes). Each costs what an incremental import asks Ticketmaster for (the attraction and one page per
200 upcoming events; a full import: every page). Background resyncs never spend more than
RESYNC_QUOTA_SHARE of the daily quota; what does not fit waits for tomorrow.
"""

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.messaging.events import ImportMode
from mysetlist_common.settings import Settings

DAY_S = 86400
SPOTIFY_PAGE = {"extended": 50, "development": 10}


@dataclass(frozen=True)
class Quota:
    """Ticketmaster's daily quota for our key, as last seen in its `Rate-Limit*` headers."""

    limit: int
    available: int
    reset_at: float  # epoch seconds
    source: str


@dataclass
class Planned:
    artist_id: UUID
    name: str
    tm_attraction_id: str
    why: str
    ticketmaster_requests: int
    spotify_requests: int
    mode: ImportMode


@dataclass
class Plan:
    quota: Quota | None
    share: float
    allowance: int  # Ticketmaster requests resyncs may still spend today
    spent_today: int  # by resyncs, in the current quota day
    chosen: list[Planned] = field(default_factory=list)
    deferred: list[Planned] = field(default_factory=list)  # due, but left for tomorrow (quota or limit)

    def as_json(self) -> dict[str, Any]:
        def item(p: Planned) -> dict[str, Any]:
            return {
                "artistId": str(p.artist_id),
                "name": p.name,
                "tmAttractionId": p.tm_attraction_id,
                "why": p.why,
                "mode": p.mode,
                "ticketmasterRequests": p.ticketmaster_requests,
                "spotifyRequests": p.spotify_requests,
            }

        quota = self.quota
        return {
            "quota": None
            if quota is None
            else {
                "limit": quota.limit,
                "available": quota.available,
                "resetAt": datetime.fromtimestamp(quota.reset_at, UTC).isoformat(),
                "source": quota.source,
            },
            "share": self.share,
            "allowance": self.allowance,
            "spentToday": self.spent_today,
            "planned": [item(p) for p in self.chosen],
            "deferred": [item(p) for p in self.deferred],
            "plannedTicketmasterRequests": sum(p.ticketmaster_requests for p in self.chosen),
        }


_RATE_KEY = text(
    """
    SELECT quota_per_day, quota_left, quota_reset_at FROM rate_key
    WHERE upstream = 'ticketmaster' AND quota_per_day IS NOT NULL
    ORDER BY quota_reset_at DESC NULLS LAST LIMIT 1
    """
)


async def ticketmaster_quota(
    session: AsyncSession, settings: Settings, http: httpx.AsyncClient
) -> Quota | None:
    """The day's quota. Ticketmaster's own headers first (one cheap request, one call of the quota): they
    carry the real limit, while the shared budget's rate_key row holds the configured one
    (TICKETMASTER_REQUESTS_PER_DAY); that row is the fallback (spike arrest, Ticketmaster away)."""
    try:
        response = await http.get(
            f"{settings.ticketmaster_base_url}/attractions.json",
            params={"size": 1, "apikey": settings.ticketmaster_api_key.get_secret_value()},
        )
        headers = response.headers
        return Quota(
            int(headers["rate-limit"]),
            int(headers["rate-limit-available"]),
            int(headers["rate-limit-reset"]) / 1000,
            "headers",
        )
    except (httpx.HTTPError, KeyError, ValueError):
        pass
    row = (await session.execute(_RATE_KEY)).first()
    if row is None or row.quota_left is None or (row.quota_reset_at or 0) <= time.time():
        return None  # no quota known: nothing is planned (never spend blind)
    return Quota(int(row.quota_per_day), int(row.quota_left), float(row.quota_reset_at), "rate_key")


# Imported artists (any import), their latest import, what they hold, and what resyncs spent today.
_CANDIDATES = text(
    """
    SELECT a.id, a.name, a.tm_attraction_id,
           extract(epoch FROM now() - least(a.shows_synced_at, a.catalog_synced_at)) AS age_s,
           (SELECT count(*) FROM show_artist sa JOIN show s ON s.id = sa.show_id
             WHERE sa.artist_id = a.id AND (s.starts_at >= now() OR (s.starts_at IS NULL
               AND (s.local_date IS NULL OR s.local_date >= current_date)))) AS upcoming,
           (SELECT count(*) FROM show_artist sa WHERE sa.artist_id = a.id) AS shows,
           (SELECT count(*) FROM catalog_release r WHERE r.artist_id = a.id) AS releases,
           (SELECT min(r.mode) FROM catalog_release r WHERE r.artist_id = a.id) AS spotify_mode,
           last.state, last.error
    FROM artist a
    JOIN LATERAL (
        SELECT state, error FROM import_run r WHERE r.artist_id = a.id ORDER BY r.requested_at DESC LIMIT 1
    ) last ON true
    WHERE (CAST(:artist AS uuid) IS NULL OR a.id = CAST(:artist AS uuid))
    """
)

_SPENT = text(
    """
    SELECT coalesce(sum(CASE WHEN state = 'running' THEN :running_cost
                        ELSE coalesce((phases -> 'shows' -> 'counts' ->> 'requests')::int, 0) END), 0)
    FROM import_run WHERE reason = 'resync' AND requested_at >= to_timestamp(:day_start)
    """
)


def _pages(items: int, per_page: int) -> int:
    return max(1, math.ceil(items / per_page))


def _costs(row: Any, mode: ImportMode, settings: Settings) -> tuple[int, int]:
    """Ticketmaster and Spotify requests of one import (Spotify: the release listing, token aside; new
    releases add a few)."""
    page = settings.ticketmaster_page_size
    if mode == "incremental":
        ticketmaster = 1 + _pages(row.upcoming + 1, page)
    else:  # every page, in windows under the 1,000-event deep-paging limit
        ticketmaster = 1 + _pages(row.shows, page) + row.shows // 1000
    per_page = SPOTIFY_PAGE.get(row.spotify_mode or "development", 10)
    spotify = 2 + row.releases // per_page  # two include_groups, a page per `per_page` releases
    if mode == "full" or not row.releases:
        spotify += _pages(row.releases or 1, 20 if per_page == 50 else 1)
    return ticketmaster, spotify


def _why(row: Any, mode: ImportMode) -> str:
    upcoming = f"{row.upcoming} upcoming shows"
    if row.state == "failed":
        return f"last import failed ({(row.error or 'no reason given')[:80]}); {upcoming}"
    if row.age_s is None:
        return f"never completed; {upcoming}"
    hours = row.age_s / 3600
    return f"synced {hours:.1f} h ago; {upcoming}" + ("; full re-import asked" if mode == "full" else "")


async def plan(
    session: AsyncSession,
    settings: Settings,
    quota: Quota | None,
    *,
    limit: int | None = None,
    artist: UUID | None = None,
    mode: ImportMode = "incremental",
) -> Plan:
    """Who is due, in order, and how many of them fit today's share of the quota (and `limit`)."""
    rows = (await session.execute(_CANDIDATES, {"artist": artist})).all()
    due = [
        r
        for r in rows
        if r.state != "running"
        and (
            artist is not None
            or r.state == "failed"
            or r.age_s is None
            or r.age_s >= settings.resync_min_age_s
        )
    ]
    # failures first, then never completed, then the stalest (upcoming shows change: twice as stale)
    due.sort(
        key=lambda r: (
            r.state != "failed",
            r.age_s is not None,
            -((r.age_s or 0) * (2 if r.upcoming else 1)),
            r.name,
        )
    )
    day_start = (quota.reset_at - DAY_S) if quota else time.time() - DAY_S
    spent = int(await session.scalar(_SPENT, {"day_start": day_start, "running_cost": 2}) or 0)
    share = settings.resync_quota_share
    allowance = 0 if quota is None else max(0, min(math.floor(share * quota.limit) - spent, quota.available))
    result = Plan(quota, share, allowance, spent)
    left = allowance
    for row in due:
        row_mode: ImportMode = "full" if mode == "full" or row.age_s is None else "incremental"
        ticketmaster, spotify = _costs(row, row_mode, settings)
        item = Planned(
            row.id, row.name, row.tm_attraction_id, _why(row, row_mode), ticketmaster, spotify, row_mode
        )
        fits = ticketmaster <= left and (limit is None or len(result.chosen) < limit)
        if fits:
            result.chosen.append(item)
            left -= ticketmaster
        else:
            result.deferred.append(item)
    return result
