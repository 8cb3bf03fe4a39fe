"""Deterministic catalogs: everything one seed generates (artists, events, venues, Spotify releases,
MusicBrainz release groups; the records themselves are in model.py, each artist's releases are built by
discography.py) with the indexes the endpoints look things up in, and the ground truth of what a correct
import stores, derived from what the generator itself made (truth.py).
"""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import words
from .discography import Discography
from .model import (
    PROFILES,
    Album,
    Artist,
    Attraction,
    Event,
    Profile,
    ReleaseGroup,
    SpotifyArtist,
    Track,
    Venue,
)
from .places import CITIES, City

B62 = string.digits + string.ascii_letters
# Without `market`, every album is listed once per market group below under its own ids.
VARIANT_MARKETS = (("JP", "TW", "HK"), ("BR", "AR", "MX"))
GENRES = ("Rock", "Pop", "Alternative", "Folk", "Electronic")
# (profile, spotify link, events, non-ASCII name)
ARTIST_PLAN = (
    ("sparse", True, True, False),
    ("sparse", True, True, True),
    ("sparse", False, True, False),  # no Spotify link on the attraction (and not on Spotify at all)
    ("sparse", True, False, False),  # no events
    ("mid", True, True, False),
    ("mid", True, True, True),
    ("prolific", True, True, False),
)
EDGE_EVENTS = (
    "canceled",
    "cancelled",
    "postponed",
    "rescheduled",
    "offsale",
    "tba",
    "tbd",
    "no_venue",
    "no_attractions",
    "no_specific_time",
    "twin_venue_a",
    "twin_venue_b",
)


class Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def make(self, prefix: str, length: int) -> str:
        while True:
            value = prefix + "".join(self.rng.choices(B62, k=length))
            if value not in self.seen:
                self.seen.add(value)
                return value

    def spotify(self) -> str:
        return self.make("", 22)

    def mbid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


class Catalog:
    """Everything one seed generates, with the indexes the endpoints look things up in."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self._indexes(seed, Ids(rng))
        self._venues(rng)
        self.support_acts = [self._attraction(rng, words.artist_name(rng), False) for _ in range(30)]
        self.guests = [self.make_spotify_artist(rng, words.artist_name(rng)) for _ in range(40)]
        names: set[str] = set()
        for profile, linked, has_events, non_ascii in ARTIST_PLAN:
            name = words.artist_name(rng, non_ascii)
            while name in names:
                name = words.artist_name(rng, non_ascii)
            names.add(name)
            self._artist(rng, profile, name, linked, has_events)
        self.index_events()

    def _indexes(self, seed: int, ids: Ids) -> None:
        self.seed = seed
        self.ids = ids
        self.artists: list[Artist] = []
        self.by_tm_attraction_id: dict[str, Artist] = {}
        self.attractions: dict[str, Attraction] = {}
        self.events: dict[str, Event] = {}
        self.venues: list[Venue] = []
        self.spotify_artists: dict[str, SpotifyArtist] = {}
        self.albums: dict[str, Album] = {}
        self.tracks: dict[str, Track] = {}
        self.albums_by_artist: dict[str, list[Album]] = {}
        self.copies: dict[str, list[Album]] = {}  # canonical album id -> its market copies
        self.release_groups_by_mbid: dict[str, list[ReleaseGroup]] = {}
        self.version = 0  # bumped whenever artists are added after generation (the population)

    def index_events(self) -> None:
        """Events sorted by date, and by attraction id: the headliner's own list also holds the events
        that embed no attractions at all (Ticketmaster still finds them by attraction)."""
        self.events_sorted = sorted(self.events.values(), key=lambda e: (e.sort_key, e.id))
        self.events_by_attraction: dict[str, list[Event]] = {a.attraction.id: a.events for a in self.artists}
        for event in self.events_sorted:
            for support in event.attractions[1:]:
                self.events_by_attraction.setdefault(support.id, []).append(event)

    @classmethod
    def shard(cls, parent: Catalog, ids: Ids, support_acts: list[Attraction]) -> Catalog:
        """An empty catalog that generates with the parent's venues and guests but its own ids and
        support acts: one population artist is generated into it, then merged into the parent."""
        shard = cls.__new__(cls)
        shard._indexes(parent.seed, ids)
        shard.venues, shard.twin_count, shard.guests = parent.venues, parent.twin_count, parent.guests
        shard.support_acts = support_acts
        return shard

    # --- Ticketmaster -------------------------------------------------------------------------
    def _venues(self, rng: random.Random) -> None:
        twin_names = [words.fill(rng, "The {adj} {noun}") for _ in range(6)]
        for index, name in enumerate(twin_names):  # same name, different cities
            for city in rng.sample(CITIES, 2 + index % 2):
                self.venues.append(self._venue(rng, name, city))
        self.twin_count = len(self.venues)
        for city in CITIES:
            for _ in range(rng.randint(6, 10)):
                self.venues.append(
                    self._venue(rng, words.fill(rng, rng.choice(words.VENUE_TEMPLATES), city=city.name), city)
                )

    def _venue(self, rng: random.Random, name: str, city: City) -> Venue:
        return Venue(
            id=self.ids.make("KovZ", 6),
            name=name,
            city=city,
            address=f"{rng.randint(1, 2400)} {rng.choice(words.NOUNS)} {rng.choice(('Street', 'Road'))}",
            postal_code=f"{rng.randint(10000, 99999)}",
            latitude=f"{city.latitude + rng.uniform(-0.05, 0.05):.6f}",
            longitude=f"{city.longitude + rng.uniform(-0.05, 0.05):.6f}",
        )

    def _attraction(self, rng: random.Random, name: str, linked: bool, mbid: bool = False) -> Attraction:
        attraction = Attraction(
            id=self.ids.make("K8vZ917", 4),
            name=name,
            spotify_id=self.ids.spotify() if linked else None,
            mbid=self.ids.mbid() if mbid else None,
            genre=rng.choice(GENRES),
        )
        self.attractions[attraction.id] = attraction
        return attraction

    def make_events(self, rng: random.Random, artist: Artist, spec: Profile) -> None:
        start = datetime(spec.first_year, 1, 1, tzinfo=UTC)
        span_days = (datetime(spec.last_year, 12, 31, tzinfo=UTC) - start).days
        edges = dict(zip(rng.sample(range(spec.events), len(EDGE_EVENTS)), EDGE_EVENTS, strict=True))
        tours = [
            words.fill(rng, rng.choice(words.TOUR_TEMPLATES), artist=artist.name, year="2026")
            for _ in range(4)
        ]
        for index in range(spec.events):
            edge = edges.get(index, "")
            day = (start + timedelta(days=rng.randrange(span_days))).date()
            if edge == "twin_venue_a":
                venue: Venue | None = self.venues[0]
            elif edge == "twin_venue_b":
                venue = next(v for v in self.venues[1:] if v.name == self.venues[0].name)
            elif edge == "no_venue":
                venue = None
            else:
                venue = rng.choice(self.venues)
            tz = venue.city.timezone if venue else "America/New_York"
            embedded = [] if edge == "no_attractions" else [artist.attraction]
            if embedded and rng.random() < 0.3:
                embedded += rng.sample(self.support_acts, rng.randint(1, 2))
            status = (
                edge if edge in ("canceled", "cancelled", "postponed", "rescheduled", "offsale") else "onsale"
            )
            if not edge and rng.random() < 0.03:
                status = rng.choice(("canceled", "cancelled", "postponed", "rescheduled", "offsale"))
            name = artist.name if rng.random() < 0.5 else f"{artist.name} - {rng.choice(tours)}"
            event = Event(self.ids.make("vvG1", 10), name, embedded, venue, tz, status)
            if edge in ("tba", "tbd"):
                event.date_tba, event.date_tbd, event.time_tba = edge == "tba", edge == "tbd", True
            elif edge == "no_specific_time":
                event.local_date, event.no_specific_time = day.isoformat(), True
                event.sort_key = datetime.combine(day, time(0), UTC).timestamp()
            else:
                local = datetime.combine(
                    day, time(rng.choice((18, 19, 19, 20, 20, 21)), rng.choice((0, 0, 30)))
                )
                utc = local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
                event.local_date, event.local_time = day.isoformat(), local.strftime("%H:%M:%S")
                event.utc, event.sort_key = utc, utc.timestamp()
            artist.events.append(event)
            self.events[event.id] = event
        artist.events.sort(key=lambda e: (e.sort_key, e.id))

    # --- Spotify and MusicBrainz --------------------------------------------------------------
    def make_spotify_artist(
        self, rng: random.Random, name: str, spotify_id: str | None = None
    ) -> SpotifyArtist:
        artist = SpotifyArtist(
            id=spotify_id or self.ids.spotify(),
            name=name,
            popularity=rng.randint(20, 90),
            followers=rng.randint(1_000, 5_000_000),
            genres=[rng.choice(("indie rock", "dream pop", "folk rock", "synthpop", "alt country"))],
        )
        self.spotify_artists[artist.id] = artist
        return artist

    def _artist(self, rng: random.Random, profile: str, name: str, linked: bool, has_events: bool) -> None:
        spec = PROFILES[profile]
        attraction = self._attraction(rng, name, linked, mbid=True)
        spotify = self.make_spotify_artist(rng, name, attraction.spotify_id) if linked else None
        artist = Artist(profile, attraction, spotify)
        if has_events:
            self.make_events(rng, artist, spec)
        if spotify is not None and attraction.mbid is not None:
            Discography(self, rng, artist, spec).build()
        self.artists.append(artist)
        self.by_tm_attraction_id[attraction.id] = artist

    def register(self, album: Album) -> None:
        self.albums[album.id] = album
        for number, track in enumerate(album.tracks, 1):
            track.album, track.track_number = album, number
            self.tracks[track.id] = track
        for artist in album.artists:
            self.albums_by_artist.setdefault(artist.id, []).append(album)

    def release_group(
        self, artist: Artist, title: str, primary: str, secondary: list[str], day: str
    ) -> ReleaseGroup:
        """A MusicBrainz release group of the artist's (a new id), listed under its MBID."""
        mbid = artist.attraction.mbid or ""
        rg = ReleaseGroup(self.ids.mbid(), title, primary, secondary, day, artist.name, mbid)
        artist.release_groups.append(rg)
        self.release_groups_by_mbid.setdefault(mbid, []).append(rg)
        return rg

    def market_copies(self, album: Album) -> list[Album]:
        """The same album under other ids, as Spotify lists it once per market group without `market`."""
        copies = []
        for markets in VARIANT_MARKETS:
            tracks = [replace(t, id=self.ids.spotify(), base=t, album=None) for t in album.tracks]
            copy = replace(album, id=self.ids.spotify(), tracks=tracks, markets=markets, base=album)
            self.albums[copy.id] = copy
            for number, track in enumerate(tracks, 1):
                track.album, track.track_number = copy, number
                self.tracks[track.id] = track
            copies.append(copy)
        self.copies[album.id] = copies
        return copies

    # --- truth --------------------------------------------------------------------------------
    def truth(self, tm_attraction_id: str) -> dict[str, list] | None:
        """Any attraction's shows: the events generated for it as headliner (those embedding no
        attractions included) and every event that bills it, as headliner or support act."""
        if tm_attraction_id not in self.attractions:
            return None
        artist = self.by_tm_attraction_id.get(tm_attraction_id)
        billed = [e for e in self.events.values() if any(a.id == tm_attraction_id for a in e.attractions)]
        events = {e.id: e for e in (artist.events if artist else []) + billed}
        shows = sorted(events.values(), key=lambda e: (e.sort_key, e.id))
        venues = dict.fromkeys(e.venue.id for e in shows if e.venue is not None)
        return {
            "shows": [e.id for e in shows],
            "venues": list(venues),
            "recordings": artist.truth_recordings if artist else [],  # support acts are not on Spotify
        }
