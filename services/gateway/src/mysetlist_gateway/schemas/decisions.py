"""The catalog decisions page: each fetched track's outcome, rule and reason, and the kept version."""

from typing import Literal

from pydantic import Field

from mysetlist_gateway.schemas.base import ApiModel, Page

Outcome = Literal["kept", "dropped", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("kept", "dropped", "pending")


class KeptVersion(ApiModel):
    spotify_track_id: str
    track_name: str | None = Field(description="null when the kept track has no decision row any more")
    release_name: str | None


class DecisionOut(ApiModel):
    spotify_track_id: str
    track_name: str
    release_id: str | None
    release_name: str | None
    outcome: Outcome = Field(description="kept: in the catalog; dropped: left out; pending: not final yet")
    verdict: str = Field(description="kept | live | duplicate | not_credited | malformed")
    rule: str = Field(
        description="the classifier rule for a live track (live_qualifier, ...), else the verdict"
    )
    reason: str = Field(description="why, for people")
    kept_version: KeptVersion | None = Field(description="for a duplicate, the version kept in the catalog")


class DecisionCounts(ApiModel):
    by_outcome: dict[str, int] = Field(description="every outcome (kept, dropped, pending), zeros included")
    by_rule: dict[str, int] = Field(description="dropped and pending decisions per rule")


class DecisionPage(Page):
    items: list[DecisionOut]
    counts: DecisionCounts = Field(description="all of the artist's decisions, whatever the filters")
