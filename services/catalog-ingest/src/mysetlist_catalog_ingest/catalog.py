"""The pure part of the catalog phase: which releases, which tracks, which version of each recording.

Nothing here does I/O, so every rule is unit-tested on plain records. The order of every choice is total
(ties broken by Spotify id), so a re-import keeps the same version and rewrites nothing.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property, lru_cache
from itertools import pairwise

from mysetlist_common.catalog_rules.classifier import Classification, classify
from mysetlist_common.catalog_rules.titles import dedupe_key_title, is_remaster, is_remix
from mysetlist_common.upstream.spotify.models import Malformed, SpotifyAlbum, SpotifyMode, SpotifyTrack

WANTED_GROUPS = ("album", "single")  # never compilation or appears_on
DURATION_TOLERANCE_MS = 2000
LIVENESS_LIVE = 0.8


class Verdict(StrEnum):
    KEPT = "kept"
    LIVE = "live"
    DUPLICATE = "duplicate"
    NOT_CREDITED = "not_credited"
    MALFORMED = "malformed"  # Spotify's answer for the track could not be read: skipped


@dataclass(frozen=True)
class Candidate:
    """A fetched track on one of the artist's releases."""

    track: SpotifyTrack
    album: SpotifyAlbum

    @property
    def id(self) -> str:
        return self.track.id

    @cached_property
    def key_title(self) -> str:
        return dedupe_key_title(self.track.name)


@dataclass(frozen=True)
class Decision:
    track_id: str
    track_name: str
    album_id: str
    album_name: str
    verdict: Verdict
    reason: str
    duplicate_of: str | None = None


@dataclass
class Screened:
    """Tracks after the credit and live rules: candidates go on to dedupe, the rest are decided."""

    candidates: list[Candidate] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


@dataclass
class CatalogPlan:
    kept: list[Candidate]
    decisions: list[Decision]


def select_releases(albums: Iterable[SpotifyAlbum]) -> list[SpotifyAlbum]:
    """The artist's own albums and singles, each once, in a stable order."""
    seen: dict[str, SpotifyAlbum] = {}
    for album in albums:
        if album.album_type == "compilation":
            continue
        if album.album_group is not None and album.album_group not in WANTED_GROUPS:
            continue
        seen.setdefault(album.id, album)
    return sorted(seen.values(), key=lambda a: (a.release_date, a.id))


@lru_cache(maxsize=1 << 16)
def _classify(
    album: str, album_type: str, track: str | None, live_titles: tuple[str, ...], liveness: float | None
) -> Classification:
    """The classifier is pure, and an import screens its tracks more than once: remember its answers."""
    return classify(album, album_type, track, live_release_titles=live_titles, liveness=liveness)


def live_release(album: SpotifyAlbum, live_release_titles: Sequence[str]) -> bool:
    """A release that is live as a whole: none of its tracks can be a studio recording."""
    return _classify(album.name, album.album_type, None, tuple(live_release_titles), None).live


def _decision(c: Candidate, verdict: Verdict, reason: str, duplicate_of: str | None = None) -> Decision:
    return Decision(c.track.id, c.track.name, c.album.id, c.album.name, verdict, reason, duplicate_of)


def screen(
    artist_spotify_id: str,
    tracks: Iterable[Candidate],
    live_release_titles: Sequence[str] = (),
    liveness: Mapping[str, float] | None = None,
) -> Screened:
    """Credit check, then the live classifier. Each track id is considered once."""
    out = Screened()
    seen: set[str] = set()
    titles = tuple(live_release_titles)
    for c in tracks:
        if c.id in seen:
            continue
        seen.add(c.id)
        if artist_spotify_id not in c.track.artist_ids:
            out.decisions.append(
                _decision(c, Verdict.NOT_CREDITED, "artist is not among the credited artists")
            )
            continue
        verdict = _classify(
            c.album.name, c.album.album_type, c.track.name, titles, (liveness or {}).get(c.id)
        )
        if verdict.live:
            out.decisions.append(_decision(c, Verdict.LIVE, f"{verdict.rule}: {verdict.reason}"))
        else:
            out.candidates.append(c)
    return out


class _Groups:
    """Union-find over track ids."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._parent = {i: i for i in ids}

    def find(self, i: str) -> str:
        root = i
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[i] != root:
            self._parent[i], i = root, self._parent[i]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)


def _duration_clusters(members: list[Candidate]) -> list[list[Candidate]]:
    """Same-title tracks split where consecutive durations differ by more than the tolerance."""
    ordered = sorted(members, key=lambda c: (c.track.duration_ms, c.id))
    clusters: list[list[Candidate]] = [[ordered[0]]]
    for prev, cur in pairwise(ordered):
        if cur.track.duration_ms - prev.track.duration_ms <= DURATION_TOLERANCE_MS:
            clusters[-1].append(cur)
        else:
            clusters.append([cur])
    return clusters


def _by_title(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    buckets: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        buckets[c.key_title].append(c)
    return buckets


def isrc_needed(candidates: Iterable[Candidate]) -> list[str]:
    """Tracks whose missing ISRC can change the dedupe: same normalised title, durations apart.

    Same title and duration already makes one recording whatever the ISRCs say, and a title shared with
    no other track has nothing to merge with, so only tracks of title buckets that split into several
    duration clusters need their ISRC.
    """
    needed: list[str] = []
    for members in _by_title(candidates).values():
        if len(members) > 1 and len(_duration_clusters(members)) > 1:
            needed.extend(c.id for c in members if c.track.isrc is None)
    return sorted(needed)


def _preference(mode: SpotifyMode) -> Callable[[Candidate], tuple]:
    def studio_order(c: Candidate) -> tuple:
        remaster = is_remaster(c.track.name) or is_remaster(c.album.name)
        return (c.album.album_type != "album", c.album.release_date or "9999", remaster, c.id)

    if mode is SpotifyMode.EXTENDED:
        return lambda c: (-(c.track.popularity or 0), *studio_order(c))
    return studio_order


def dedupe(
    candidates: Sequence[Candidate], mode: SpotifyMode, note: str = ""
) -> tuple[list[Candidate], list[Decision]]:
    """One kept version per recording: ISRC first, then normalised title + duration within 2 s.

    `note` is added to every kept decision (e.g. that MusicBrainz could not be asked).
    """
    groups = _Groups(c.id for c in candidates)
    by_isrc: dict[str, str] = {}
    for c in candidates:
        if c.track.isrc:
            first = by_isrc.setdefault(c.track.isrc, c.id)
            groups.union(first, c.id)
    for members in _by_title(candidates).values():
        for cluster in _duration_clusters(members):
            for other in cluster[1:]:
                groups.union(cluster[0].id, other.id)

    recordings: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        recordings[groups.find(c.id)].append(c)
    prefer = _preference(mode)
    kept: list[Candidate] = []
    decisions: list[Decision] = []
    for members in recordings.values():
        members.sort(key=prefer)
        best = members[0]
        kept.append(best)
        remix = " (remix, flagged)" if is_remix(best.track.name) else ""
        suffix = f"; {note}" if note else ""
        decisions.append(_decision(best, Verdict.KEPT, f"studio recording{remix}{suffix}"))
        for dup in members[1:]:
            why = "same ISRC" if dup.track.isrc and dup.track.isrc == best.track.isrc else "same recording"
            decisions.append(_decision(dup, Verdict.DUPLICATE, f"{why} as {best.track.name!r}", best.id))
    kept.sort(key=lambda c: c.id)
    return kept, decisions


def with_known_isrcs(candidates: Iterable[Candidate], known: Mapping[str, str | None]) -> list[Candidate]:
    """Fill ISRCs learned earlier (cache, stored songs) into tracks that arrived without one."""
    out = []
    for c in candidates:
        isrc = known.get(c.id)
        if c.track.isrc is None and isrc:
            c = replace(c, track=replace(c.track, isrc=isrc))
        out.append(c)
    return out


def with_full_tracks(candidates: Iterable[Candidate], full: Iterable[SpotifyTrack]) -> list[Candidate]:
    """ISRC and popularity from full track objects (several-tracks or single-track calls)."""
    by_id = {t.id: t for t in full}
    out = []
    for c in candidates:
        f = by_id.get(c.id)
        if f is not None:
            track = replace(
                c.track,
                isrc=f.isrc or c.track.isrc,
                popularity=f.popularity if f.popularity is not None else c.track.popularity,
            )
            c = replace(c, track=track)
        out.append(c)
    return out


def plan_catalog(
    artist_spotify_id: str,
    tracks: Iterable[Candidate],
    mode: SpotifyMode,
    live_release_titles: Sequence[str] = (),
    liveness: Mapping[str, float] | None = None,
    note: str = "",
) -> CatalogPlan:
    screened = screen(artist_spotify_id, tracks, live_release_titles, liveness)
    kept, decisions = dedupe(screened.candidates, mode, note)
    return CatalogPlan(kept, sorted(screened.decisions + decisions, key=lambda d: d.track_id))


def with_malformed(
    plan: CatalogPlan, malformed: Iterable[Malformed], releases: Iterable[SpotifyAlbum]
) -> CatalogPlan:
    """The plan plus a decision for each skipped track that had an id, so the user sees why it is missing.

    Only tracks of a release listing count: a malformed full track (ISRC lookup) leaves its track decided
    as usual, and an album has no decision row of its own.
    """
    album_names = {r.id: r.name for r in releases}
    decided = {d.track_id for d in plan.decisions}
    extra: dict[str, Decision] = {}
    for m in malformed:
        if m.kind != "track" or m.id is None or m.id in decided:
            continue
        reason = f"Spotify's answer for this track could not be read: {m.reason}"
        album_id = m.album_id or ""
        decision = Decision(
            m.id, m.name or "", album_id, album_names.get(album_id, ""), Verdict.MALFORMED, reason
        )
        extra.setdefault(m.id, decision)
    if not extra:
        return plan
    return CatalogPlan(plan.kept, sorted([*plan.decisions, *extra.values()], key=lambda d: d.track_id))
