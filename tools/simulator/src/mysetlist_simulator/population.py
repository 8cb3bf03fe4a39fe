"""The population: `population` generated artists beside the fixed seven, for load tests.

Member i is a function of (seed, i) alone, so the same seed and N give the same artists, and growing N
keeps the first members as they were. It is made in two steps, both cached:

- its identity (profile, name, attraction / Spotify / MusicBrainz ids, support acts): a few random
  draws, made for all N members at once because listings and lookups need them;
- its content (events, releases, release groups, truth): the fixed catalog's own generator run into a
  shard of the catalog, made the first time a request names one of its ids, then merged into the
  catalog so every endpoint serves it like a fixed artist.

So N=1000 costs the identities (milliseconds) and only the members a test actually touches.
"""

from __future__ import annotations

import random
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import words
from .catalog import B62, GENRES, Catalog, Ids
from .discography import Discography
from .model import PROFILES, Artist, Attraction

PROFILE_SHARES = (("sparse", 0.80), ("mid", 0.17), ("prolific", 0.03))
SUPPORT_ACTS = 3  # each member has its own: shared ones would change their truth as members appear
NAME_SUFFIXES = (" Band", " Trio", " Collective", " Ensemble", " Quartet", " Orchestra")
TOKEN = re.compile(r"[A-Za-z0-9-]+")


def tag(index: int) -> str:
    """Three base62 characters naming the member inside each of its ids."""
    return B62[index // 3844] + B62[index // 62 % 62] + B62[index % 62]


class TaggedIds(Ids):
    """A member's ids: the tag after each prefix keeps them apart from every other member's, whatever
    order members are generated in; ids the fixed catalog uses are never drawn."""

    def __init__(self, rng: random.Random, index: int, taken: set[str]) -> None:
        super().__init__(rng)
        self.tag, self.taken = tag(index), taken

    def make(self, prefix: str, length: int) -> str:
        while True:
            value = prefix + self.tag + "".join(self.rng.choices(B62, k=length - len(self.tag)))
            if value not in self.seen and value not in self.taken:
                self.seen.add(value)
                return value


@dataclass(frozen=True, slots=True)
class Identity:
    index: int
    profile: str
    name: str
    tm_attraction_id: str
    spotify_id: str | None  # None: not on Spotify (like the fixed sparse artist without a link)
    mbid: str
    has_events: bool
    support: tuple[tuple[str, str], ...]  # (attraction id, name)

    def ids(self) -> list[str]:
        return [
            self.tm_attraction_id,
            self.mbid,
            *([self.spotify_id] if self.spotify_id else []),
            *dict(self.support),
        ]


class Population:
    """The members of one catalog, generated on demand; how many are visible is the caller's N."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.identities: list[Identity] = []
        self.by_id: dict[str, int] = {}  # any id a request may name first -> member index
        self.members: dict[int, Artist] = {}
        self.names = {a.name for a in catalog.artists}

    # --- identities ---------------------------------------------------------------------------
    def grow(self, n: int) -> None:
        while len(self.identities) < n:  # in index order, so name clashes resolve the same way
            identity = self._identity(len(self.identities))
            self.identities.append(identity)
            self.by_id.update(dict.fromkeys(identity.ids(), identity.index))

    def _identity(self, index: int) -> Identity:
        rng = random.Random(f"{self.catalog.seed}:population:{index}:identity")
        roll, profile = rng.random(), "prolific"
        for name, share in PROFILE_SHARES:
            if roll < share:
                profile = name
                break
            roll -= share
        linked, has_events, non_ascii = rng.random() >= 0.05, rng.random() >= 0.03, rng.random() < 0.15
        name = words.artist_name(rng, non_ascii)
        for _ in range(10):
            if name not in self.names:
                break
            name = words.artist_name(rng, non_ascii)
        if name in self.names:
            name += rng.choice(NAME_SUFFIXES)
        if name in self.names:
            name += f" {index}"
        self.names.add(name)
        ids = TaggedIds(rng, index, self.catalog.ids.seen)
        return Identity(
            index=index,
            profile=profile,
            name=name,
            tm_attraction_id=ids.make("K8vZ917", 4),
            spotify_id=ids.spotify() if linked else None,
            mbid=ids.mbid(),
            has_events=has_events,
            support=tuple((ids.make("K8vZ917", 4), words.artist_name(rng)) for _ in range(SUPPORT_ACTS)),
        )

    # --- content ------------------------------------------------------------------------------
    def member(self, index: int) -> Artist:
        artist = self.members.get(index)
        if artist is None:
            artist = self.members[index] = self._generate(self.identities[index])
        return artist

    def _generate(self, me: Identity) -> Artist:
        rng = random.Random(f"{self.catalog.seed}:population:{me.index}")
        ids = TaggedIds(rng, me.index, self.catalog.ids.seen)
        ids.seen.update(me.ids())
        support = [Attraction(i, name, None, None, rng.choice(GENRES)) for i, name in me.support]
        shard = Catalog.shard(self.catalog, ids, support)
        attraction = Attraction(me.tm_attraction_id, me.name, me.spotify_id, me.mbid, rng.choice(GENRES))
        for a in (attraction, *support):
            shard.attractions[a.id] = a
        spotify = shard.make_spotify_artist(rng, me.name, me.spotify_id) if me.spotify_id else None
        artist = Artist(me.profile, attraction, spotify)
        spec = PROFILES[me.profile]
        if me.has_events:
            shard.make_events(rng, artist, spec)
        if spotify is not None:
            Discography(shard, rng, artist, spec).build()
        self._merge(shard, artist)
        return artist

    def _merge(self, shard: Catalog, artist: Artist) -> None:
        """Into the catalog's indexes; the guests' listings stay the fixed catalog's (they would
        otherwise change with every member generated)."""
        catalog = self.catalog
        for index in ("attractions", "events", "spotify_artists", "albums", "tracks", "copies"):
            getattr(catalog, index).update(getattr(shard, index))
        catalog.release_groups_by_mbid.update(shard.release_groups_by_mbid)
        if artist.spotify is not None:
            catalog.albums_by_artist[artist.spotify.id] = shard.albums_by_artist.get(artist.spotify.id, [])
        catalog.by_tm_attraction_id[artist.attraction.id] = artist
        catalog.events_by_attraction[artist.attraction.id] = artist.events
        for act in shard.support_acts:
            catalog.events_by_attraction[act.id] = [e for e in artist.events if act in e.attractions[1:]]
        catalog.version += 1

    # --- what requests see ----------------------------------------------------------------------
    def reveal(self, tokens: Iterable[str], n: int) -> None:
        """Generate the visible members any of these ids belong to (before a request is served)."""
        if n <= 0:
            return
        self.grow(n)
        for token in tokens:
            index = self.by_id.get(token)
            if index is not None and index < n and index not in self.members:
                self.member(index)

    def hidden(self, token: str, n: int) -> bool:
        """An id of a member generated earlier but beyond today's N (N was lowered)."""
        index = self.by_id.get(token)
        return index is not None and index >= n

    def reveal_text(self, text: str, n: int) -> None:
        if n > 0:
            self.reveal(TOKEN.findall(text), n)

    def visible(self, n: int) -> list[Identity]:
        self.grow(n)
        return self.identities[:n]

    def listing(self, n: int) -> list[dict[str, Any]]:
        """/_sim/artists entries without generating anyone: `recordings` is null until the member is."""
        rows = []
        for me in self.visible(n):
            made = self.members.get(me.index)
            rows.append(
                {
                    "tm_attraction_id": me.tm_attraction_id,
                    "spotify_id": me.spotify_id,
                    "mbid": me.mbid,
                    "name": me.name,
                    "profile": me.profile,
                    "population": True,
                    "events": PROFILES[me.profile].events if me.has_events else 0,
                    "recordings": len(made.truth_recordings) if made is not None else None,
                    "support_acts": sorted(i for i, _ in me.support),
                }
            )
        return rows


_POPULATIONS: weakref.WeakKeyDictionary[Catalog, Population] = weakref.WeakKeyDictionary()


def population_of(catalog: Catalog) -> Population:
    """One population per catalog: apps sharing a catalog share its generated members too."""
    found = _POPULATIONS.get(catalog)
    if found is None:
        found = _POPULATIONS[catalog] = Population(catalog)
    return found
