"""One artist's Spotify releases and MusicBrainz release groups, built to its profile: studio albums and
their deluxe and remastered reissues, singles (some with a remix), EPs, live albums, compilations and
appearances on other artists' albums, with the traps an importer must see through (live versions on studio
albums, copies without an ISRC, guests' own tracks). One class with one random stream: the order of its
draws is what makes a seed's catalog, so it stays whole rather than split across modules.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta
from typing import TYPE_CHECKING

from . import words
from .model import Album, Artist, Profile, Recording, ReleaseGroup, SpotifyArtist, Track
from .places import CITIES
from .truth import preference, recordings, studio_versions

if TYPE_CHECKING:
    from .catalog import Catalog

LABELS = ("Northbound Records", "Paper Moon Music", "Lantern Sound", "Blue Harbor", "Kestrel Recordings")


class Discography:
    """One artist's Spotify releases and MusicBrainz release groups, built to a profile."""

    def __init__(self, catalog: Catalog, rng: random.Random, artist: Artist, spec: Profile) -> None:
        assert artist.spotify is not None and artist.attraction.mbid is not None
        self.catalog, self.rng, self.artist, self.spec = catalog, rng, artist, spec
        self.me: SpotifyArtist = artist.spotify
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
        return self.catalog.release_group(self.artist, title, primary, secondary, day)

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
        groups = studio_versions(self.me, listing)
        for tracks in groups:
            # Development-mode rule: album over single, then earliest release, then non-remaster.
            # Popularity is assigned in that same order, so the Extended-mode rule agrees by construction.
            tracks.sort(key=preference)
            popularity = rng.randint(40, 90)
            for t in tracks:
                t.popularity = popularity
                popularity -= rng.randint(1, 3)
        for album in listing:
            for t in album.tracks:
                if t.popularity == 0:
                    t.popularity = rng.randint(1, 35)
            catalog.market_copies(album)
        self.artist.truth_recordings = recordings(groups)
