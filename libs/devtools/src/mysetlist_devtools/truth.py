"""What an import stored, compared with the upstream simulator's ground truth (`/_sim/truth/{id}`):
shared by the end-to-end tests, the services' real tests and the benchmarks, so that "exact" means the
same thing everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHOWS_SQL = "SELECT s.tm_event_id FROM show s JOIN show_artist l ON l.show_id = s.id WHERE l.artist_id = $1"
VENUES_SQL = (
    "SELECT DISTINCT v.tm_venue_id FROM venue v JOIN show s ON s.venue_id = v.id"
    " JOIN show_artist l ON l.show_id = s.id WHERE l.artist_id = $1"
)
SONGS_SQL = "SELECT s.spotify_id FROM song s JOIN artist_song l ON l.song_id = s.id WHERE l.artist_id = $1"


@dataclass(frozen=True)
class Stored:
    shows: list[str]
    venues: list[str]
    songs: list[str]


async def stored(conn: Any, artist_id: Any) -> Stored:
    """One artist's shows, venues and songs as stored (`conn`: an asyncpg connection)."""
    rows = [[r[0] for r in await conn.fetch(sql, artist_id)] for sql in (SHOWS_SQL, VENUES_SQL, SONGS_SQL)]
    return Stored(*rows)


def catalog_problems(songs: list[str], recordings: list[list[str]]) -> list[str]:
    """What differs from a correct catalog: exactly one id of every recording and nothing else."""
    problems = []
    owner = {tid: i for i, rec in enumerate(recordings) for tid in rec}
    per_recording: dict[int, list[str]] = {}
    for tid in songs:
        if tid not in owner:
            problems.append(f"stored {tid} is no studio recording of the artist")
        else:
            per_recording.setdefault(owner[tid], []).append(tid)
    for i, rec in enumerate(recordings):
        got = per_recording.get(i, [])
        if len(got) != 1:
            problems.append(f"recording {rec} stored {len(got)} times: {got}")
    return problems


def problems(found: Stored, truth: dict[str, Any]) -> list[str]:
    """Every difference between an import's rows and the truth; [] means exact."""
    out = []
    if len(found.shows) != len(set(found.shows)):
        out.append("a show is stored twice")
    if sorted(set(found.shows)) != sorted(truth["shows"]):
        out.append(f"shows: {len(set(found.shows))} stored, {len(truth['shows'])} true")
    if sorted(found.venues) != sorted(truth["venues"]):
        out.append(f"venues: {len(found.venues)} stored, {len(truth['venues'])} true")
    return out + catalog_problems(found.songs, truth["recordings"])
