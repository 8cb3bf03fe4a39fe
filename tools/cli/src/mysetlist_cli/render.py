"""Rich renderings shared by the commands: the phase table and the search results."""

from datetime import datetime
from typing import Any

from rich.table import Table

from mysetlist_common.messaging.events import ALL_PHASES as PHASES
from mysetlist_common.web.status import PhaseStatus

STAGE_STYLE = {
    "completed": "green",
    "failed": "red",
    "running": "cyan",
    "waiting": "yellow",
    "pending": "dim",
}
UPSTREAM_NAMES = {"spotify": "Spotify", "ticketmaster": "Ticketmaster", "musicbrainz": "MusicBrainz"}


def waiting_text(waiting_for: str | None, resume_at: datetime | str | None) -> str:
    """ "waiting for Spotify's rate limit, resumes at 22:41", in the viewer's own time zone."""
    who = UPSTREAM_NAMES.get(waiting_for or "", waiting_for or "an upstream")
    if isinstance(resume_at, str):
        resume_at = datetime.fromisoformat(resume_at.replace("Z", "+00:00"))
    when = f", resumes at {resume_at.astimezone():%H:%M}" if resume_at is not None else ""
    return f"waiting for {who}'s rate limit{when}"


def fmt_counts(counts: dict[str, int] | None, sep: str = ", ") -> str:
    # zero counts (no retries, nothing removed) are noise in a summary
    shown = [f"{value} {key.replace('_', ' ')}" for key, value in (counts or {}).items() if value]
    return sep.join(shown) or "-"


def fmt_duration(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def phase_table(title: str, phases: dict[str, PhaseStatus]) -> Table:
    table = Table(title=title, title_justify="left")
    errors = any(p.error for p in phases.values())
    for column in ("phase", "state", "progress", "counts", "duration", *(["error"] if errors else [])):
        table.add_column(column, overflow="fold")
    for name in [*PHASES, *(p for p in phases if p not in PHASES)]:
        phase = phases.get(name)
        if phase is None:
            continue
        state: str = phase.state
        if state == "waiting":
            state = waiting_text(phase.waiting_for, phase.resume_at)
        cells = [
            name,
            f"[{STAGE_STYLE.get(phase.state, '')}]{state}[/]",
            f"{phase.done} of {phase.total}" if phase.total is not None else str(phase.done),
            fmt_counts(phase.counts, sep="\n"),  # one figure per line reads best
            fmt_duration(phase.duration),
        ]
        table.add_row(*cells, *([phase.error or ""] if errors else []))
    return table


def search_table(title: str, hits: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("name", "tmAttractionId", "imported as"):
        table.add_column(column)
    for hit in hits:
        table.add_row(hit["name"], hit["tmAttractionId"], hit.get("slug") or "-")
    return table
