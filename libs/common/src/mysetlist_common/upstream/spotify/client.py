"""Spotify Web API client for both app modes, on the shared HTTP layer.

- The client-credentials token comes from `auth` (cached per process).
- The app mode (Development or Extended) is learnt from the answers (400 on a limit above 10, 403/404
  on a batch endpoint) and remembered for the process; `settings.spotify_mode` forces it.
- Audio features are asked for only until the first 403, then never again in this process.

One class a little over 300 lines: the app mode it learns from the answers decides how every endpoint is
called (page size, batch or single calls), so the endpoints stay beside that learning.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from mysetlist_common.settings import Settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.policy import Policy, window_policy
from mysetlist_common.upstream.http.classify import Verdict
from mysetlist_common.upstream.http.client import UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.http.paginators import OffsetPaginator, PageFacts, PageRequest
from mysetlist_common.upstream.http.paging import paginate
from mysetlist_common.upstream.spotify.auth import UPSTREAM, SpotifyAuth
from mysetlist_common.upstream.spotify.models import (
    Malformed,
    Page,
    SpotifyAlbum,
    SpotifyArtist,
    SpotifyMode,
    SpotifyParseError,
    SpotifyTrack,
    parse_album,
    parse_album_with_tracks,
    parse_artist,
    parse_audio_features,
    parse_each,
    parse_page,
    parse_track,
)

T = TypeVar("T")

ALBUMS_PER_CALL = 20
TRACKS_PER_CALL = 50
FEATURES_PER_CALL = 100
EMBEDDED_TRACKS = 50
PAGE_LIMIT = {SpotifyMode.EXTENDED: 50, SpotifyMode.DEVELOPMENT: 10}
PAGES_AHEAD = 8


class BatchUnavailable(Exception):
    """A batch endpoint this app may not use (Development mode)."""


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SpotifyParseError(f"the answer is a JSON {type(body).__name__}, not an object")
    return body


def _objects(body: Any, key: str) -> list[dict[str, Any]]:
    """A batch answer's list; null entries (ids Spotify does not know) are left out."""
    items = _object(body).get(key)
    if not isinstance(items, list):
        raise SpotifyParseError(f"{key!r} is not a list")
    return [item for item in items if item is not None]


@dataclass
class ProcessState:
    """What this process learnt about its Spotify app; shared by every import."""

    mode: SpotifyMode | None = None
    audio_features: bool | None = None  # None: not tried yet

    def reset(self) -> None:
        self.mode = None
        self.audio_features = None


PROCESS = ProcessState()


class _ReleasePages(OffsetPaginator):
    """An artist's releases at the app mode's page limit, up to PAGES_AHEAD pages at once.

    The end is the first short or empty page, never `total` (Development mode inflates it); `total` only
    says how many following pages to ask for at once. A 400 on a limit above Development's means a
    Development app: learnt, and the page is asked for again at its limit.
    """

    def __init__(self, state: ProcessState) -> None:
        super().__init__(PAGE_LIMIT[SpotifyMode.EXTENDED], ahead=PAGES_AHEAD)
        self.state = state

    def limit(self) -> int:
        return PAGE_LIMIT[self.state.mode or SpotifyMode.EXTENDED]

    def refused(self, request: PageRequest, error: UpstreamError) -> PageRequest | None:
        if error.status == 400 and request.params["limit"] > PAGE_LIMIT[SpotifyMode.DEVELOPMENT]:
            self.state.mode = SpotifyMode.DEVELOPMENT  # "Invalid limit": a Development app
            return request.with_params(limit=self.limit())
        return None

    def update_state(self, request: PageRequest, facts: PageFacts) -> None:
        super().update_state(request, facts)
        if request.params["limit"] > PAGE_LIMIT[SpotifyMode.DEVELOPMENT] and self.state.mode is None:
            self.state.mode = SpotifyMode.EXTENDED


def _releases_page(body: Any) -> Page:
    return parse_page(_object(body), "releases page")


def _tracks_page(body: Any) -> Page:
    return parse_page(_object(body), "tracks page")


def classify_spotify(response: httpx.Response) -> Verdict | None:
    """A 429 that is a quota, not a burst, is not worth retrying within an import."""
    if response.status_code == 429 and b"QUOTA_EXCEEDED" in response.content[:2000]:
        return Verdict.fail("Spotify quota exceeded (QUOTA_EXCEEDED): retry the import later")
    return None


def budget_policy(settings: Settings) -> Policy:
    """The app's shared budget: the rolling 30 s window, its real number learned below the setting."""
    return window_policy(UPSTREAM, settings.spotify_client_id, settings.spotify_requests_per_30s, 30.0)


class SpotifyClient:
    """One import's view of the Spotify API; `stats` counts this import's requests."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        state: ProcessState = PROCESS,
        *,
        budget: KeyBudget | None = None,
    ) -> None:
        self.market = settings.spotify_market
        self.state = state
        if settings.spotify_mode in (SpotifyMode.DEVELOPMENT, SpotifyMode.EXTENDED):
            state.mode = SpotifyMode(settings.spotify_mode)
        auth = SpotifyAuth(
            http,
            settings.spotify_accounts_base_url,
            settings.spotify_client_id,
            settings.spotify_client_secret.get_secret_value(),
        )
        self.api = UpstreamClient(
            UPSTREAM,
            http,
            base_url=settings.spotify_api_base_url,
            budget=budget or budget_policy(settings),
            classifiers=(classify_spotify,),
            auth=auth,
            max_retries=settings.http_max_retries,
            wait_cap_s=settings.spotify_retry_after_cap_s,
            timeout_s=settings.http_timeout_s,
        )

        # items skipped because they could not be parsed (this import's; the phase counts them)
        self.malformed: list[Malformed] = []

    @property
    def mode(self) -> SpotifyMode | None:
        return self.state.mode

    @property
    def requests(self) -> int:
        return self.api.stats.requests

    async def _get(
        self,
        path: str,
        params: dict[str, Any] | None,
        what: str,
        parse: Callable[[Any], T],
    ) -> T:
        """An answer of the wrong shape as a whole is asked again, then fails as a MalformedAnswer."""
        return await self.api.get_parsed(path, parse, what, params)

    def _each(
        self,
        items: Iterable[Any],
        parse: Callable[[dict[str, Any]], T],
        kind: str,
        album_id: str | None = None,
    ) -> list[T]:
        """Items that parse; the others are recorded in `malformed` and skipped."""
        parsed, malformed = parse_each(items, parse, kind, album_id)
        self.malformed.extend(malformed)
        return parsed

    def page_tracks(self, items: Iterable[Any], album_id: str) -> list[SpotifyTrack]:
        """The tracks of a page of an album's tracks (simplified objects), malformed ones skipped."""
        return self._each(items, lambda item: parse_track(item, album_id), "track", album_id)

    def _learn(self, mode: SpotifyMode) -> None:
        if self.state.mode is None:
            self.state.mode = mode

    # ------------------------------------------------------------------------------------ artists

    async def search_artists(self, name: str) -> list[SpotifyArtist]:
        page = await self._get(
            "search",
            {"q": name, "type": "artist", "market": self.market, "limit": 10},
            f"artist search for {name!r}",
            lambda body: parse_page(_object(body).get("artists") or {}, "artist search"),
        )
        return self._each(page.items, parse_artist, "artist")

    async def artist_albums(self, artist_id: str, group: str) -> AsyncIterator[list[SpotifyAlbum]]:
        """The artist's releases of one include_group, page by page (so callers can start on them).

        Pages past the real end (asked for ahead on the word of `total`) are dropped unread.
        """
        request = PageRequest(f"artists/{artist_id}/albums", {"include_groups": group, "market": self.market})
        what = f"releases page of artist {artist_id}"
        pages = paginate(self.api, request, _ReleasePages(self.state), _releases_page, what)
        async with aclosing(pages) as listing:
            async for page in listing:
                yield self._albums(page.data, group)

    def _albums(self, page: Page, group: str) -> list[SpotifyAlbum]:
        return self._each(page.items, lambda item: parse_album(item, group), "album")

    # ------------------------------------------------------------------------------ batch (Extended)

    async def _batch(self, path: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The answer's objects (`albums` or `tracks`), in the order asked."""
        if self.state.mode is SpotifyMode.DEVELOPMENT:
            raise BatchUnavailable(path)
        try:
            items = await self._get(
                path,
                {"ids": ",".join(ids), "market": self.market},
                f"batch of {len(ids)} {path}",
                lambda body: _objects(body, path),
            )
        except UpstreamError as exc:
            if exc.status in (403, 404):
                self.state.mode = SpotifyMode.DEVELOPMENT
                raise BatchUnavailable(path) from exc
            raise
        self._learn(SpotifyMode.EXTENDED)
        return items

    async def several_albums(self, ids: Sequence[str]) -> list[tuple[SpotifyAlbum, Page]]:
        """Up to 20 albums, each with its first 50 tracks embedded."""
        assert len(ids) <= ALBUMS_PER_CALL
        return self._each(await self._batch("albums", ids), parse_album_with_tracks, "album")

    async def several_tracks(self, ids: Sequence[str]) -> list[SpotifyTrack]:
        """Up to 50 full tracks: ISRC and popularity."""
        assert len(ids) <= TRACKS_PER_CALL
        return self._each(await self._batch("tracks", ids), parse_track, "full_track")

    # ------------------------------------------------------------------------------- both modes

    async def album_tracks(self, album_id: str, offset: int = 0) -> list[SpotifyTrack]:
        """Every track of an album from `offset` on (simplified: no ISRC, no popularity)."""
        tracks: list[SpotifyTrack] = []
        request = PageRequest(f"albums/{album_id}/tracks", {"market": self.market})
        pages = OffsetPaginator(EMBEDDED_TRACKS, offset=offset)
        what = f"tracks page of album {album_id}"
        async with aclosing(paginate(self.api, request, pages, _tracks_page, what)) as listing:
            async for page in listing:
                tracks.extend(self.page_tracks(page.data.items, album_id))
        return tracks

    async def track(self, track_id: str) -> SpotifyTrack | None:
        """A full track (ISRC, popularity); None when its answer cannot be parsed (recorded)."""
        body = await self._get(f"tracks/{track_id}", {"market": self.market}, f"track {track_id}", _object)
        found = self._each([body], parse_track, "full_track")
        return found[0] if found else None

    async def audio_features(self, ids: Sequence[str]) -> dict[str, float]:
        """Liveness per track id, or nothing when the app has no audio features (learnt once).

        An optional signal: it never fails an import. The first call alone finds out whether the app
        has them (a 403 switches them off for the process); the other chunks then go at once.
        """
        if self.state.audio_features is False or self.state.mode is SpotifyMode.DEVELOPMENT or not ids:
            return {}
        chunks = [ids[i : i + FEATURES_PER_CALL] for i in range(0, len(ids), FEATURES_PER_CALL)]
        liveness: dict[str, float] = {}
        if self.state.audio_features is None:  # not known yet: one call finds out
            liveness = await self._features(chunks.pop(0))
            if not self.state.audio_features:
                return liveness
        for part in await asyncio.gather(*(self._features(c) for c in chunks)):
            liveness.update(part)
        return liveness

    async def _features(self, chunk: Sequence[str]) -> dict[str, float]:
        try:
            body = await self._get("audio-features", {"ids": ",".join(chunk)}, "audio features", _object)
        except UpstreamError as exc:
            if exc.status in (403, 404):
                self.state.audio_features = False
            return {}
        self.state.audio_features = True
        return parse_audio_features(body)
