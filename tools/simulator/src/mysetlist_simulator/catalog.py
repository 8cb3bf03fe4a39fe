"""Deterministic catalogs (artists, events, venues, Spotify releases, MusicBrainz release groups) and the
ground truth of what a correct import stores, derived from what the generator itself made.

The truth never looks at titles: it follows the generator's own flags (live album, live recording,
who is credited, which album group), so it is independent of any importer's classification code.
"""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import words
from .places import CITIES, City

B62 = string.digits + string.ascii_letters
MARKETS = words.words_of(
    "AD AR AT AU BE BG BO BR CA CH CL CO CR CY CZ DE DK DO EC EE ES FI FR GB GR GT HK HN HU ID IE IS "
    "IT JP LI LT LU LV MC MT MX MY NI NL NO NZ PA PE PH PL PT PY RO SE SG SI SK SV TR TW US UY"
)
# Without `market`, every album is listed once per market group below under its own ids.
VARIANT_MARKETS = (("JP", "TW", "HK"), ("BR", "AR", "MX"))
GENRES = ("Rock", "Pop", "Alternative", "Folk", "Electronic")
LABELS = ("Northbound Records", "Paper Moon Music", "Lantern Sound", "Blue Harbor", "Kestrel Recordings")


@dataclass(slots=True, eq=False)
class Attraction:
    id: str
    name: str
    spotify_id: str | None
    mbid: str | None
    genre: str


@dataclass(slots=True, eq=False)
class Venue:
    id: str
    name: str
    city: City
    address: str
    postal_code: str
    latitude: str
    longitude: str


@dataclass(slots=True, eq=False)
class Event:
    id: str
    name: str
    attractions: list[Attraction]  # embedded ones; empty for the "no attractions" edge case
    venue: Venue | None
    timezone: str
    status: str
    local_date: str | None = None
    local_time: str | None = None
    utc: datetime | None = None
    date_tba: bool = False
    date_tbd: bool = False
    time_tba: bool = False
    no_specific_time: bool = False
    sort_key: float = float("inf")  # epoch seconds; TBA/TBD events sort last


@dataclass(slots=True, eq=False)
class SpotifyArtist:
    id: str
    name: str
    popularity: int
    followers: int
    genres: list[str]


@dataclass(slots=True, eq=False)
class Recording:
    title: str
    kind: str  # studio | live | remix
    duration_ms: int
    owner: SpotifyArtist | None  # the sim artist whose catalog it belongs to (None: someone else's)


@dataclass(slots=True, eq=False)
class Track:
    id: str
    name: str
    duration_ms: int
    isrc: str | None
    artists: list[SpotifyArtist]
    recording: Recording
    explicit: bool = False
    popularity: int = 0
    track_number: int = 0
    album: Album | None = None
    base: Track | None = None  # set on market copies: the canonical track


@dataclass(slots=True, eq=False)
class Album:
    id: str
    name: str
    kind: str  # studio | deluxe | remaster | single | ep | live | compilation | appears_on
    album_type: str  # album | single | compilation
    release_date: str
    artists: list[SpotifyArtist]
    tracks: list[Track] = field(default_factory=list)
    label: str = ""
    upc: str = ""
    popularity: int = 0
    markets: tuple[str, ...] = tuple(MARKETS)
    base: Album | None = None
    release_group: ReleaseGroup | None = None

    @property
    def live(self) -> bool:
        return self.kind == "live"


@dataclass(slots=True, eq=False)
class ReleaseGroup:
    id: str
    title: str
    primary_type: str
    secondary_types: list[str]
    first_release_date: str
    artist_name: str
    artist_mbid: str
    release_ids: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Artist:
    profile: str
    attraction: Attraction
    spotify: SpotifyArtist | None
    events: list[Event] = field(default_factory=list)
    albums: list[Album] = field(default_factory=list)  # canonical albums listed under the artist
    release_groups: list[ReleaseGroup] = field(default_factory=list)
    truth_recordings: list[list[str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.attraction.name

    @property
    def support_acts(self) -> list[str]:
        """Attraction ids billed after this headliner on its events."""
        return sorted({a.id for e in self.events for a in e.attractions[1:]})


@dataclass(frozen=True, slots=True)
class Profile:
    events: int
    first_year: int
    last_year: int
    studio_albums: int
    album_tracks: tuple[int, int]
    deluxe: int
    remasters: int
    singles: int
    eps: int
    live_albums: int
    live_tracks: tuple[int, int]
    compilations: int
    appears_on: int
    career_start: int


PROFILES: dict[str, Profile] = {
    "sparse": Profile(15, 2026, 2027, 2, (10, 12), 1, 0, 4, 0, 1, (8, 10), 0, 1, 2019),
    "mid": Profile(250, 2023, 2027, 8, (12, 15), 2, 1, 40, 4, 8, (12, 16), 2, 3, 2008),
    "prolific": Profile(1200, 2021, 2027, 30, (12, 16), 8, 8, 130, 20, 30, (22, 30), 10, 14, 1988),
}
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
        self.guests = [self._spotify_artist(rng, words.artist_name(rng)) for _ in range(40)]
        names: set[str] = set()
        for profile, linked, has_events, non_ascii in ARTIST_PLAN:
            name = words.artist_name(rng, non_ascii)
            while name in names:
                name = words.artist_name(rng, non_ascii)
            names.add(name)
            self._artist(rng, profile, name, linked, has_events)
        # Events by attraction id, sorted by date: the headliner's own list also holds the events
        # that embed no attractions at all (Ticketmaster still finds them by attraction).
        self.events_sorted = sorted(self.events.values(), key=lambda e: (e.sort_key, e.id))
        self.events_by_attraction: dict[str, list[Event]] = {a.attraction.id: a.events for a in self.artists}
        for event in self.events_sorted:
            for support in event.attractions[1:]:
                self.events_by_attraction.setdefault(support.id, []).append(event)

    def _indexes(self, seed: int, ids: Ids) -> None:
        self.seed = seed
        self.ids = ids
        self.artists: list[Artist] = []
        self.by_tm_id: dict[str, Artist] = {}
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

    def _events(self, rng: random.Random, artist: Artist, spec: Profile) -> None:
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
    def _spotify_artist(self, rng: random.Random, name: str, spotify_id: str | None = None) -> SpotifyArtist:
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
        spotify = self._spotify_artist(rng, name, attraction.spotify_id) if linked else None
        artist = Artist(profile, attraction, spotify)
        if has_events:
            self._events(rng, artist, spec)
        if spotify is not None and attraction.mbid is not None:
            Discography(self, rng, artist, spec).build()
        self.artists.append(artist)
        self.by_tm_id[attraction.id] = artist

    def register(self, album: Album) -> None:
        self.albums[album.id] = album
        for number, track in enumerate(album.tracks, 1):
            track.album, track.track_number = album, number
            self.tracks[track.id] = track
        for artist in album.artists:
            self.albums_by_artist.setdefault(artist.id, []).append(album)

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
    def truth(self, tm_id: str) -> dict[str, list] | None:
        """Any attraction's shows: the events generated for it as headliner (those embedding no
        attractions included) and every event that bills it, as headliner or support act."""
        if tm_id not in self.attractions:
            return None
        artist = self.by_tm_id.get(tm_id)
        billed = [e for e in self.events.values() if any(a.id == tm_id for a in e.attractions)]
        events = {e.id: e for e in (artist.events if artist else []) + billed}
        shows = sorted(events.values(), key=lambda e: (e.sort_key, e.id))
        venues = dict.fromkeys(e.venue.id for e in shows if e.venue is not None)
        return {
            "shows": [e.id for e in shows],
            "venues": list(venues),
            "recordings": artist.truth_recordings if artist else [],  # support acts are not on Spotify
        }


class Discography:
    """One artist's Spotify releases and MusicBrainz release groups, built to a profile."""

    def __init__(self, catalog: Catalog, rng: random.Random, artist: Artist, spec: Profile) -> None:
        assert artist.spotify is not None and artist.attraction.mbid is not None
        self.catalog, self.rng, self.artist, self.spec = catalog, rng, artist, spec
        self.me: SpotifyArtist = artist.spotify
        self.mbid: str = artist.attraction.mbid
        self.titles = words.UniqueTitles(rng)
        self.guests = rng.sample(catalog.guests, 6)
        self.registrant = "".join(rng.choices(string.ascii_uppercase, k=3))
        self.isrc_serial = 0
        self.albums: list[Album] = []
        self.originals: list[Track] = []  # first studio version of each album song, credited to the artist
        self.remixed: set[int] = set()
        self.traps = len(words.TRAP_TEMPLATES) if spec.studio_albums > 2 else 5

    # helpers
    def isrc(self, year: str) -> str:
        self.isrc_serial += 1
        return f"{self.rng.choice(('US', 'GB', 'DE'))}{self.registrant}{year[2:4]}{self.isrc_serial:05d}"

    def date(self, year: int) -> str:
        return (date(min(year, 2026), 1, 1) + timedelta(days=self.rng.randrange(360))).isoformat()

    def new_song(self, year: str, credited: bool = True) -> Track:
        """A new studio recording; `credited=False` makes it a guest's own track instead."""
        trap = self.traps > 0 and credited and self.rng.random() < 0.3
        self.traps -= trap
        title = self.titles.song(trap=trap)
        recording = Recording(title, "studio", self.rng.randint(150_000, 330_000), self.me)
        artists = [self.me]
        name = title
        if not credited:  # a guest's own track on the artist's release: not the artist's song
            artists, recording.owner = [self.rng.choice(self.guests)], None
        elif self.rng.random() < 0.12:
            guest = self.rng.choice(self.guests)
            artists, name = [self.me, guest], f"{title} (feat. {guest.name})"
        isrc = None if self.rng.random() < 0.03 else self.isrc(year)
        return self.track(name, recording.duration_ms, isrc, artists, recording)

    def track(
        self, name: str, duration: int, isrc: str | None, artists: list[SpotifyArtist], rec: Recording
    ) -> Track:
        explicit = self.rng.random() < 0.1
        return Track(self.catalog.ids.spotify(), name, duration, isrc, artists, rec, explicit)

    def copy(
        self, original: Track, name: str | None = None, isrc: str | None = None, jitter: int = 0
    ) -> Track:
        """Another Spotify track of the same recording (reissue, single, compilation)."""
        duration = original.duration_ms + self.rng.randint(-jitter, jitter)
        code = original.isrc if isrc is None else isrc or None
        return self.track(name or original.name, duration, code, list(original.artists), original.recording)

    def live_version(self, original: Track, name: str, year: str) -> Track:
        rec = Recording(
            original.recording.title, "live", original.duration_ms + self.rng.randint(10_000, 90_000), self.me
        )
        return self.track(name, rec.duration_ms, self.isrc(year), [self.me], rec)

    def album(
        self,
        name: str,
        kind: str,
        album_type: str,
        day: str,
        tracks: list[Track],
        by: list[SpotifyArtist] | None = None,
    ) -> Album:
        album = Album(
            id=self.catalog.ids.spotify(),
            name=name,
            kind=kind,
            album_type=album_type,
            release_date=day,
            artists=by or [self.me],
            tracks=tracks,
            label=self.rng.choice(LABELS),
            upc=f"{self.rng.randrange(10**11, 10**12)}",
            popularity=self.rng.randint(10, 80),
        )
        self.albums.append(album)
        return album

    def group(self, title: str, primary: str, secondary: list[str], day: str) -> ReleaseGroup:
        rg = ReleaseGroup(
            self.catalog.ids.mbid(), title, primary, secondary, day, self.artist.name, self.mbid
        )
        self.artist.release_groups.append(rg)
        self.catalog.release_groups_by_mbid.setdefault(self.mbid, []).append(rg)
        return rg

    def venue_phrase(self) -> str:
        venue = self.rng.choice(self.catalog.venues[self.catalog.twin_count :])
        return venue.name

    # releases
    def build(self) -> None:
        spec, rng = self.spec, self.rng
        years = sorted(
            rng.sample(range(spec.career_start, 2026), min(spec.studio_albums, 2026 - spec.career_start))
        )
        while len(years) < spec.studio_albums:
            years.append(rng.randint(spec.career_start, 2025))
        studio: list[Album] = []
        for year in sorted(years):
            studio.append(self.studio_album(year))
        for original in rng.sample(studio, min(spec.deluxe, len(studio))):
            self.deluxe(original)
        for original in rng.sample(studio, min(spec.remasters, len(studio))):
            self.remaster(original)
        for _ in range(spec.singles):
            self.single()
        for _ in range(spec.eps):
            self.ep()
        for index in range(spec.live_albums):
            self.live_album(with_word=index % 5 < 2)
        for _ in range(spec.compilations):
            self.compilation()
        for _ in range(spec.appears_on):
            self.appears_on()
        self.finish()

    def studio_album(self, year: int) -> Album:
        day = self.date(year)
        title = words.fill(self.rng, self.rng.choice(words.ALBUM_TEMPLATES))
        if self.traps and self.rng.random() < 0.2:
            title = words.fill(self.rng, "Long Live the {plural}")
        tracks = [self.new_song(day) for _ in range(self.rng.randint(*self.spec.album_tracks))]
        if self.rng.random() < 0.15:
            tracks.insert(self.rng.randrange(len(tracks)), self.new_song(day, credited=False))
        self.originals += [t for t in tracks if t.recording.owner is not None]
        if self.rng.random() < 0.3 and len(self.originals) > len(tracks):
            earlier = self.rng.choice(self.originals[: -len(tracks)])
            city = self.rng.choice(CITIES).name
            name = self.rng.choice(
                (
                    f"{earlier.recording.title} - Live",
                    f"{earlier.recording.title} (Live at {self.venue_phrase()})",
                    f"{earlier.recording.title} - Live in {city}",
                )
            )
            tracks.append(self.live_version(earlier, name, day))
        album = self.album(title, "studio", "album", day, tracks)
        album.release_group = self.group(title, "Album", [], day)
        return album

    def deluxe(self, original: Album) -> None:
        day = self.date(int(original.release_date[:4]) + self.rng.randint(1, 3))
        edition = self.rng.choice(("Deluxe Edition", "Deluxe", "Expanded Edition", "Anniversary Edition"))
        tracks = [self.copy(t) for t in original.tracks if t.recording.kind == "studio"]
        tracks += [self.new_song(day) for _ in range(self.rng.randint(3, 5))]
        if self.rng.random() < 0.4:
            earlier = self.rng.choice(tracks[:-1])
            if earlier.recording.owner is not None:
                name = f"{earlier.recording.title} - Live at {self.venue_phrase()} {day[:4]}"
                tracks.append(self.live_version(earlier, name, day))
        album = self.album(f"{original.name} ({edition})", "deluxe", "album", day, tracks)
        album.release_group = original.release_group

    def remaster(self, original: Album) -> None:
        year = min(int(original.release_date[:4]) + self.rng.randint(8, 20), 2026)
        day = self.date(year)
        suffix = self.rng.choice((f"Remastered {year}", f"{year} Remaster"))
        tracks = []
        for t in original.tracks:
            if t.recording.kind != "studio":
                continue
            # Usually the ISRC carries over; now and then a reissue got a new one (same title and length).
            isrc = self.isrc(day) if (t.isrc and self.rng.random() < 0.1) else None
            tracks.append(self.copy(t, f"{t.name} - {suffix}", isrc=isrc, jitter=400))
        album = self.album(f"{original.name} ({suffix})", "remaster", "album", day, tracks)
        album.release_group = original.release_group

    def single(self) -> None:
        rng = self.rng
        year = rng.randint(self.spec.career_start, 2026)
        day = self.date(year)
        if self.originals and rng.random() < 0.8:
            source = rng.choice(self.originals)
            # Singles repeat the album track; some carry no ISRC and a slightly different length.
            a_side = self.copy(source) if rng.random() < 0.85 else self.copy(source, isrc="", jitter=1500)
        else:
            a_side = self.new_song(day)
        tracks = [a_side]
        roll = rng.random()
        rec = a_side.recording
        if roll < 0.35 and rec.owner is not None and id(rec) not in self.remixed:
            self.remixed.add(id(rec))
            remix = Recording(rec.title, "remix", rec.duration_ms + rng.randint(40_000, 120_000), self.me)
            name = f"{rec.title} - {rng.choice(words.REMIXERS)} Remix"
            tracks.append(self.track(name, remix.duration_ms, self.isrc(day), [self.me], remix))
        if roll > 0.2:
            tracks.append(self.new_song(day))
        album = self.album(rec.title, "single", "single", day, tracks)
        album.release_group = self.group(rec.title, "Single", [], day)

    def ep(self) -> None:
        day = self.date(self.rng.randint(self.spec.career_start, 2026))
        tracks = [self.new_song(day) for _ in range(self.rng.randint(4, 6))]
        title = words.fill(self.rng, self.rng.choice(words.ALBUM_TEMPLATES)) + self.rng.choice(("", " EP"))
        album = self.album(title, "ep", "single", day, tracks)
        album.release_group = self.group(title, "EP", [], day)

    def live_album(self, with_word: bool) -> None:
        rng = self.rng
        year = rng.randint(self.spec.career_start + 2, 2026)
        day = self.date(year)
        templates = words.LIVE_TITLE_WITH_WORD if with_word else words.LIVE_TITLE_WITHOUT_WORD
        studio_names = [a.name for a in self.albums if a.kind == "studio"]
        title = words.fill(
            rng,
            rng.choice(templates),
            venue=self.venue_phrase(),
            city=rng.choice(CITIES).name,
            year=day[:4],
            album=rng.choice(studio_names) if studio_names else "Songs",
        )
        pool = self.originals or [self.new_song(day)]
        picks = rng.sample(pool, min(len(pool), rng.randint(*self.spec.live_tracks)))
        tracks = [
            self.live_version(
                t, t.recording.title if rng.random() < 0.6 else f"{t.recording.title} - Live", day
            )
            for t in picks
        ]
        album = self.album(title, "live", "album", day, tracks)
        album.release_group = self.group(title, "Album", ["Live"], day)

    def compilation(self) -> None:
        day = self.date(self.rng.randint(self.spec.career_start + 5, 2026))
        title = self.rng.choice(
            (
                "Greatest Hits",
                f"The Best of {self.me.name}",
                f"Essential {self.me.name}",
                words.fill(self.rng, "The {adj} Collection"),
            )
        )
        picks = self.rng.sample(self.originals, min(len(self.originals), self.rng.randint(18, 26)))
        album = self.album(title, "compilation", "compilation", day, [self.copy(t) for t in picks])
        album.release_group = self.group(title, "Album", ["Compilation"], day)

    def appears_on(self) -> None:
        """Another artist's album where this artist features on one or two tracks."""
        host = self.rng.choice(self.guests)
        day = self.date(self.rng.randint(self.spec.career_start, 2026))
        tracks = [self.new_song(day, credited=False) for _ in range(self.rng.randint(9, 13))]
        for _ in range(self.rng.randint(1, 2)):
            title = self.titles.song()
            rec = Recording(title, "studio", self.rng.randint(150_000, 330_000), None)
            tracks.insert(
                self.rng.randrange(len(tracks)),
                self.track(
                    f"{title} (feat. {self.me.name})", rec.duration_ms, self.isrc(day), [host, self.me], rec
                ),
            )
        name = words.fill(self.rng, self.rng.choice(words.ALBUM_TEMPLATES))
        self.album(name, "appears_on", "album", day, tracks, by=[host])

    def finish(self) -> None:
        """Register releases and their market copies, assign popularity, and record the truth."""
        catalog, rng = self.catalog, self.rng
        listing: list[Album] = []
        for album in self.albums:
            catalog.register(album)
            listing.append(album)
            if album.release_group is not None:
                album.release_group.release_ids.append(catalog.ids.mbid())
            if album.kind == "appears_on":
                catalog.albums_by_artist.setdefault(self.me.id, []).append(album)
        self.artist.albums = listing
        # A correct import reads the album and single groups, drops live albums, live recordings and
        # tracks that do not credit the artist, and keeps one track per recording.
        versions: dict[int, list[Track]] = {}
        for album in listing:
            if album.kind in ("compilation", "appears_on") or album.live:
                continue
            for t in album.tracks:
                if t.recording.kind != "live" and t.recording.owner is self.me and self.me in t.artists:
                    versions.setdefault(id(t.recording), []).append(t)
        groups = []
        for tracks in versions.values():
            # Development-mode rule: album over single, then earliest release, then non-remaster.
            # Popularity is assigned in that same order, so the Extended-mode rule agrees by construction.
            tracks.sort(key=_preference)
            popularity = rng.randint(40, 90)
            for t in tracks:
                t.popularity = popularity
                popularity -= rng.randint(1, 3)
            groups.append(tracks)
        groups.sort(key=lambda ts: _preference(ts[0])[1:])
        for album in listing:
            for t in album.tracks:
                if t.popularity == 0:
                    t.popularity = rng.randint(1, 35)
            catalog.market_copies(album)
        self.artist.truth_recordings = [[t.id for t in ts] for ts in groups]


def _preference(t: Track) -> tuple[bool, str, bool, str, int]:
    """Development-mode order of versions: album over single, then earliest release, then non-remaster."""
    assert t.album is not None
    return (
        t.album.album_type != "album",
        t.album.release_date,
        t.album.kind == "remaster",
        t.id,
        t.track_number,
    )
