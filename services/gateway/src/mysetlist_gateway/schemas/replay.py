"""POST /api/admin/replay: which artists to re-import (exactly one selection) and what became of each."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

DEFAULT_RATE_PER_S = 5.0  # kickoffs per second: each one is a few rows; the phases then queue as jobs
MAX_RATE_PER_S = 100.0
SELECTIONS = ("artist", "importId", "failedSince", "requestedBetween")


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class ReplayRequest(_Body):
    """Exactly one selection: an artist, an import, the failed ones, or what the topic holds."""

    # the schema says "exactly one" too, so that clients (and fuzzers) can know it
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": [name]} for name in SELECTIONS]})

    # SkipJsonSchema[None]: absent means "not this selection"; an explicit null is not in the schema
    artist: str | SkipJsonSchema[None] = Field(
        None, description="artist id or Ticketmaster attraction id", max_length=64
    )
    import_id: UUID | SkipJsonSchema[None] = Field(None, alias="importId")
    failed_since: datetime | SkipJsonSchema[None] = Field(
        None, alias="failedSince", description="artists whose latest import failed since then"
    )
    requested_between: tuple[datetime, datetime] | SkipJsonSchema[None] = Field(
        None, alias="requestedBetween", description="[start, end) of imports.requested (topic timestamps)"
    )
    dry_run: bool = Field(False, alias="dryRun", description="list what would be replayed, change nothing")
    rate_per_s: float = Field(DEFAULT_RATE_PER_S, alias="ratePerSecond", gt=0, le=MAX_RATE_PER_S)

    @field_validator("artist", "import_id", "failed_since", "requested_between", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # as the schema says: a selection not made is left out
            raise ValueError("leave a selection out rather than null")
        return value

    @model_validator(mode="after")
    def _one_selection(self) -> "ReplayRequest":
        chosen = [self.artist, self.import_id, self.failed_since, self.requested_between]
        if sum(c is not None for c in chosen) != 1:
            raise ValueError("give exactly one of artist, importId, failedSince, requestedBetween")
        return self


class ReplayItem(_Body):
    tm_attraction_id: str = Field(serialization_alias="tmAttractionId")
    artist_id: UUID | None = Field(serialization_alias="artistId")
    replay_of: UUID | None = Field(serialization_alias="replayOf", description="the import replayed")
    outcome: Literal["started", "joined", "would start", "would join"]
    import_id: UUID | None = Field(
        serialization_alias="importId", description="the new import, or the running one joined"
    )


class ReplayAnswer(_Body):
    dry_run: bool = Field(serialization_alias="dryRun")
    started: int
    joined: int
    items: list[ReplayItem]
