"""Date windows: how every event of an attraction is reached although paging reaches only 1000.

When an attraction's total is beyond paging's reach, the rest is a new date window starting at the last
date reached (less a day, so no time-zone edge loses an event); that window is split the same way again
while it is still too big. Windows send `includeTBA=yes&includeTBD=yes` so undated events are not dropped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict


def tm_datetime(moment: datetime) -> str:
    """Ticketmaster's filter format: `YYYY-MM-DDTHH:mm:ssZ`, UTC, no fractional seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Window(BaseModel):
    """A date window of events; None on a side means open-ended."""

    model_config = ConfigDict(frozen=True)

    start: datetime | None = None
    end: datetime | None = None

    def params(self) -> dict[str, str]:
        if self.start is None and self.end is None:
            return {}
        # with any date filter, Ticketmaster silently drops TBA/TBD events unless asked for them
        params = {"includeTBA": "yes", "includeTBD": "yes"}
        if self.start is not None:
            params["startDateTime"] = tm_datetime(self.start)
        if self.end is not None:
            params["endDateTime"] = tm_datetime(self.end)
        return params

    def describe(self) -> str:
        left = self.start.date().isoformat() if self.start else "..."
        right = self.end.date().isoformat() if self.end else "..."
        return f"{left} to {right}"


def event_moment(raw: dict[str, Any]) -> datetime | None:
    """When a raw event starts (UTC), for windowing only: dateTime, else the local date at midnight UTC."""
    start = ((raw.get("dates") or {}).get("start")) or {}
    try:
        if start.get("dateTime"):
            return datetime.fromisoformat(str(start["dateTime"]).replace("Z", "+00:00")).astimezone(UTC)
        if start.get("localDate"):
            return datetime.combine(date.fromisoformat(str(start["localDate"])), time(), UTC)
    except ValueError:
        return None
    return None


def continuation(window: Window, reached: list[dict[str, Any]]) -> Window | None:
    """The window holding what paging could not reach: from the last date reached (less a day)."""
    moments = [m for m in map(event_moment, reached) if m is not None]
    if not moments:
        return None
    start = max(moments).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    if window.start is not None and start <= window.start:
        return None  # more than the reachable number of events inside one day: cannot split further
    return Window(start=start, end=window.end)
