"""The shows phase of one import: identity first (the catalog phase waits for it), then every event."""

import asyncio
import logging
from datetime import UTC, datetime, time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.phases.identity import write_identity
from mysetlist_common.phases.reporting import PhaseError, PhaseReporter, PhaseResult
from mysetlist_common.settings import Settings
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.ticketmaster.client import TicketmasterClient
from mysetlist_shows_ingest import store
from mysetlist_shows_ingest.mapping import map_events

log = logging.getLogger(__name__)


class ShowsPhase:
    """The `PhaseWork` of shows-ingest. One instance per process: one HTTP client shared by every import."""

    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.http = http

    async def run(self, requested: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        tm_attraction_id = requested.payload.tm_attraction_id
        artist_id = requested.artist_id
        async with self.sessions() as session:
            known = (
                await session.execute(
                    select(store.Artist.id, store.Artist.shows_synced_at).where(store.Artist.id == artist_id)
                )
            ).first()
        if known is None:
            raise PhaseError(f"artist {artist_id} does not exist; the gateway creates it before the import")
        # Incremental: past shows never change, so only upcoming events are asked for. From 00:00Z today:
        # events with a local date only count from then, and an event earlier today is merely re-stored.
        incremental = requested.payload.mode == "incremental" and known.shows_synced_at is not None
        since = datetime.combine(datetime.now(UTC).date(), time(), UTC) if incremental else None

        client = TicketmasterClient(self.http, self.settings)

        async def on_page(done: int, total: int | None, label: str) -> None:
            await reporter.progress(done, total, f"events {label}")

        # Both start now: the attraction takes the first budget slot, events page 1 the next.
        attraction_task = asyncio.create_task(client.attraction(tm_attraction_id))
        events_task = asyncio.create_task(client.all_events(tm_attraction_id, on_page, since))
        try:
            attraction = await attraction_task
            async with self.sessions.begin() as session:  # committed at once: the catalog phase waits for it
                await write_identity(session, artist_id, attraction)
            raw_events, unreachable = await events_task
        except UpstreamError as exc:
            raise PhaseError(str(exc), retryable=exc.retryable, upstream=exc.upstream) from exc
        finally:
            events_task.cancel()  # a no-op once it finished; stops its requests when identity failed

        mapped = map_events(raw_events, artist_id)
        async with self.sessions.begin() as session:
            venue_ids, venues_changed = await store.upsert_venues(session, list(mapped.venues.values()))
            shows_changed = await store.upsert_shows(session, mapped.shows, venue_ids)
            # a show shared with another artist (headliner or support act) is this artist's show too
            shows_linked = await store.link_shows(
                session, artist_id, [s["tm_event_id"] for s in mapped.shows]
            )
            # only a complete listing can tell that a show is gone; only upcoming shows are considered, so
            # an incremental listing (upcoming events only) tells it as well as a full one
            removed = (
                0 if unreachable else await store.mark_removed(session, artist_id, sorted(mapped.seen_ids))
            )
            await store.mark_shows_synced(session, artist_id)
        await reporter.progress(len(raw_events), len(raw_events), f"stored {len(mapped.shows)} shows")

        counts = {
            "events_seen": len(raw_events),
            "shows_stored": len(mapped.shows),
            "venues_stored": len(mapped.venues),
            "shows_changed": shows_changed,
            "shows_linked": shows_linked,
            "venues_changed": venues_changed,
            "shows_removed": removed,
            "requests": client.stats.requests,
            "rate_limited": client.stats.rate_limited,
            "retries": client.stats.retries,
            "sequential_rounds": client.sequential_rounds,
            "incremental": int(incremental),
            **{f"skipped_{reason}": n for reason, n in sorted(mapped.skipped.items())},
        }
        if unreachable:
            counts["events_unreachable"] = unreachable
        return PhaseResult(counts=counts, message=f"{attraction.name}: {len(mapped.shows)} shows")
