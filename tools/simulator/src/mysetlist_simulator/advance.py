"""Time passing: `POST /_sim/advance {"days": N}` applies N days' worth of upstream changes.

The clock does not move (tokens, quotas and "upcoming" keep agreeing with the database): days are only a
count of changes. Each day's changes are drawn from a RNG seeded by (seed, day, artist), so they are
cumulative (10 + 20 days = 30 days) and deterministic; `{"reset": true}` restores the catalog as
generated. Per artist, on a schedule scaled by its profile (prolific every period, mid every 2nd, sparse
every 3rd): a new future event, an upcoming event cancelled (every other one delisted altogether), one
postponed or moved to another venue, a new release (album, deluxe copy with the same ISRCs, single) and
an old single or EP taken down in the market. The truth follows (truth.py, as at generation).

One module (about 300 lines): the schedule, the changes and the endpoint read best together, since the
order of a day's random draws across them is what keeps days cumulative.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import words
from .catalog import Catalog
from .core import Sim, json_response
from .model import Album, Artist, Event, Recording, Track
from .truth import preference, recordings, studio_versions

STATE = "advance"  # key in Sim.caches
SCALE = {"prolific": 1, "mid": 2, "sparse": 3}
# (period in days at scale 1, offset): a change happens on day d when d % (period * scale) == offset
NEW_EVENT = (3, 1)
CANCEL = (10, 5)
POSTPONE_OR_MOVE = (10, 8)
RELEASE = (15, 6)
TAKE_DOWN = (15, 11)
RELEASE_KINDS = ("album", "deluxe", "single")


@dataclass
class Timeline:
    pristine: Catalog  # as generated: what a reset restores
    days: int = 0
    serial: int = 0  # ISRC serials of new recordings
    new_albums: set[str] = field(default_factory=set)
    changes: dict[str, int] = field(default_factory=dict)


def _timeline(sim: Sim) -> Timeline:
    found = sim.caches.get(STATE)
    if found is None:
        found = sim.caches[STATE] = Timeline(copy.deepcopy(sim.catalog))
    assert isinstance(found, Timeline)
    return found


def reset(sim: Sim) -> None:
    found = sim.caches.pop(STATE, None)
    if isinstance(found, Timeline):
        sim.catalog = found.pristine
    sim.caches.pop("ticketmaster", None)


def advance(sim: Sim, days: int) -> Timeline:
    timeline = _timeline(sim)
    for _ in range(days):
        timeline.days += 1
        for artist in sim.catalog.artists:
            Day(sim.catalog, timeline, artist).apply()
    for artist in sim.catalog.artists:
        artist.events.sort(key=lambda e: (e.sort_key, e.id))
    sim.catalog.index_events()
    sim.caches.pop("ticketmaster", None)  # rendered events and attractions' upcoming counts changed
    return timeline


class Day:
    """One artist's changes on one day."""

    def __init__(self, catalog: Catalog, timeline: Timeline, artist: Artist) -> None:
        self.catalog, self.timeline, self.artist = catalog, timeline, artist
        self.day = timeline.days
        self.rng = random.Random(f"{catalog.seed}/{self.day}/{artist.attraction.id}")
        self.scale = SCALE.get(artist.profile, 3)
        self.now = datetime.now(UTC)

    def due(self, schedule: tuple[int, int]) -> bool:
        period, offset = schedule
        return self.day % (period * self.scale) == offset % (period * self.scale)

    def count(self, change: str) -> None:
        self.timeline.changes[change] = self.timeline.changes.get(change, 0) + 1

    def apply(self) -> None:
        if self.artist.events:  # an artist without events stays without (an edge case of the catalog)
            if self.due(NEW_EVENT):
                self.new_event()
            if self.due(CANCEL):
                self.cancel()
            if self.due(POSTPONE_OR_MOVE):
                self.postpone_or_move()
            # in date order after every day, so tomorrow's choices do not depend on how days were batched
            self.artist.events.sort(key=lambda e: (e.sort_key, e.id))
        if self.artist.spotify is not None and self.artist.albums:
            if self.due(RELEASE):
                self.release(RELEASE_KINDS[(self.day // (RELEASE[0] * self.scale)) % len(RELEASE_KINDS)])
            if self.due(TAKE_DOWN):
                self.take_down()
            self.recompute_truth()

    # --- Ticketmaster -------------------------------------------------------------------------
    def upcoming(self) -> Event | None:
        """One event dated, on sale and at least a day ahead (a change never races the importer's notion
        of now), or None when there is none."""
        soon = (self.now + timedelta(days=1)).timestamp()
        choices = [
            e
            for e in self.artist.events
            if e.utc is not None and e.sort_key > soon and e.status == "onsale" and e.venue is not None
        ]
        return self.rng.choice(choices) if choices else None

    def _place(self, event: Event, day: date, at: time) -> None:
        local = datetime.combine(day, at)
        event.utc = local.replace(tzinfo=ZoneInfo(event.timezone)).astimezone(UTC)
        event.local_date, event.local_time = day.isoformat(), local.strftime("%H:%M:%S")
        event.sort_key = event.utc.timestamp()

    def new_event(self) -> None:
        rng = self.rng
        venue = rng.choice(self.catalog.venues)
        event = Event(
            self.catalog.ids.make("vvG1", 10),
            self.artist.name,
            [self.artist.attraction],
            venue,
            venue.city.timezone,
            "onsale",
        )
        day = self.now.date() + timedelta(days=rng.randint(20, 300))
        self._place(event, day, time(rng.choice((19, 20, 21)), rng.choice((0, 30))))
        self.artist.events.append(event)
        self.catalog.events[event.id] = event
        self.count("events_added")

    def cancel(self) -> None:
        event = self.upcoming()
        if event is None:
            return
        if self.day // (CANCEL[0] * self.scale) % 2:  # Ticketmaster delists some cancelled events
            self.artist.events.remove(event)
            del self.catalog.events[event.id]
            self.count("events_delisted")
        else:
            event.status = "cancelled"
            self.count("events_cancelled")

    def postpone_or_move(self) -> None:
        event = self.upcoming()
        if event is None:
            return
        assert event.local_date is not None and event.local_time is not None
        at = time.fromisoformat(event.local_time)
        if self.day // (POSTPONE_OR_MOVE[0] * self.scale) % 2:
            venue = self.rng.choice([v for v in self.catalog.venues if v is not event.venue])
            event.venue, event.timezone = venue, venue.city.timezone
            self._place(event, date.fromisoformat(event.local_date), at)
            self.count("events_moved")
        else:
            event.status = "postponed"
            later = date.fromisoformat(event.local_date) + timedelta(days=self.rng.randint(7, 60))
            self._place(event, later, at)
            self.count("events_postponed")

    # --- Spotify ------------------------------------------------------------------------------
    @property
    def me(self) -> Any:
        return self.artist.spotify

    def _titles(self) -> set[str]:
        return {words.normalise(t.recording.title) for a in self.artist.albums for t in a.tracks}

    def _isrc(self) -> str:
        self.timeline.serial += 1
        return f"ZZADV{self.now.year % 100:02d}{self.timeline.serial:05d}"

    def _new_song(self, taken: set[str]) -> Track:
        rng = self.rng
        title = words.fill(rng, rng.choice(words.SONG_TEMPLATES))
        while words.normalise(title) in taken:
            title = f"{title} {rng.choice(words.NOUNS)}"
        taken.add(words.normalise(title))
        recording = Recording(title, "studio", rng.randint(150_000, 330_000), self.me)
        return Track(
            self.catalog.ids.spotify(), title, recording.duration_ms, self._isrc(), [self.me], recording
        )

    def _album(self, name: str, kind: str, album_type: str, tracks: list[Track]) -> Album:
        return Album(
            id=self.catalog.ids.spotify(),
            name=name,
            kind=kind,
            album_type=album_type,
            release_date=self.now.date().isoformat(),
            artists=[self.me],
            tracks=tracks,
            label="Lantern Sound",
            upc=f"{self.rng.randrange(10**11, 10**12)}",
            popularity=self.rng.randint(10, 80),
        )

    def release(self, kind: str) -> None:
        rng, taken = self.rng, self._titles()
        # A deluxe copy of an album released before: its versions come after the original in both modes'
        # order, so which version is preferred never changes (as with real reissues).
        studio = [
            a for a in self.artist.albums if a.kind == "studio" and a.id not in self.timeline.new_albums
        ]
        if kind == "deluxe" and studio:
            original = rng.choice(studio)
            tracks = [
                Track(self.catalog.ids.spotify(), t.name, t.duration_ms, t.isrc, list(t.artists), t.recording)
                for t in original.tracks
                if t.recording.kind == "studio"
            ]
            tracks += [self._new_song(taken) for _ in range(rng.randint(2, 3))]
            album = self._album(f"{original.name} (Super Deluxe Edition)", "deluxe", "album", tracks)
            album.release_group = original.release_group
        elif kind == "single":
            song = self._new_song(taken)
            album = self._album(song.recording.title, "single", "single", [song])
            album.release_group = self.catalog.release_group(
                self.artist, album.name, "Single", [], self.now.date().isoformat()
            )
        else:
            tracks = [self._new_song(taken) for _ in range(rng.randint(8, 12))]
            title = words.fill(rng, rng.choice(words.ALBUM_TEMPLATES))
            album = self._album(title, "studio", "album", tracks)
            album.release_group = self.catalog.release_group(
                self.artist, title, "Album", [], self.now.date().isoformat()
            )
        if album.release_group is not None:
            album.release_group.release_ids.append(self.catalog.ids.mbid())
        self.catalog.register(album)
        self.artist.albums.append(album)
        self.timeline.new_albums.add(album.id)
        self.count(f"released_{kind}")

    def take_down(self) -> None:
        """An old single or EP leaves the market: no longer listed (with its market copies)."""
        choices = [
            a
            for a in self.artist.albums
            if a.kind in ("single", "ep") and a.id not in self.timeline.new_albums
        ]
        if not choices:
            return
        album = self.rng.choice(choices)
        self.artist.albums.remove(album)
        for artist in album.artists:
            listed = self.catalog.albums_by_artist.get(artist.id, [])
            if album in listed:
                listed.remove(album)
        self.count("taken_down")

    def recompute_truth(self) -> None:
        """The truth from the listing, as Discography.finish builds it; popularity keeps agreeing with the
        Development-mode order (new versions slot in below the versions preferred to them)."""
        groups = studio_versions(self.me, self.artist.albums)
        for tracks in groups:
            tracks.sort(key=preference)
            previous: int | None = None
            for t in tracks:
                if t.popularity == 0:  # new: below the one before it, or fresh for a new recording
                    t.popularity = self.rng.randint(40, 90) if previous is None else previous - 1
                elif previous is not None and t.popularity >= previous:
                    t.popularity = previous - 1
                previous = t.popularity
        for album in self.artist.albums:
            if album.id in self.timeline.new_albums and album.id not in self.catalog.copies:
                for t in album.tracks:
                    t.popularity = t.popularity or self.rng.randint(1, 35)
                self.catalog.market_copies(album)
        self.artist.truth_recordings = recordings(groups)


async def advance_endpoint(request: Request) -> Response:
    sim: Sim = request.app.state.sim
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        return json_response({"error": f"body is not JSON: {exc}"}, 400)
    if not isinstance(body, dict) or set(body) - {"days", "reset"}:
        return json_response({"error": 'expected {"days": N} or {"reset": true}'}, 400)
    if body.get("reset"):
        reset(sim)
    days = body.get("days", 0)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
        return json_response({"error": "days must be an integer from 0 to 3650"}, 400)
    if days:
        advance(sim, days)
    found = sim.caches.get(STATE)
    state = found if isinstance(found, Timeline) else None
    return json_response({"days": state.days if state else 0, "changes": state.changes if state else {}})


def routes() -> list[Route]:
    return [Route("/_sim/advance", advance_endpoint, methods=["POST"])]
