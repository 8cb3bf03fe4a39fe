"""What the generator makes: Ticketmaster attractions, venues and events, Spotify artists, recordings,
tracks and albums, MusicBrainz release groups, an artist holding them all, and the profiles that say how
much of each an artist has. Plain data: catalog.py and discography.py fill it, the endpoints render it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import words
from .places import City

MARKETS = words.words_of(
    "AD AR AT AU BE BG BO BR CA CH CL CO CR CY CZ DE DK DO EC EE ES FI FR GB GR GT HK HN HU ID IE IS "
    "IT JP LI LT LU LV MC MT MX MY NI NL NO NZ PA PE PH PL PT PY RO SE SG SI SK SV TR TW US UY"
)


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
