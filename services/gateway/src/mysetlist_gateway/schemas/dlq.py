"""The dead-letter admin API: a dead letter as listed, in full, and the answer to sending one back."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DeadLetterItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(description="topic:partition:offset")
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    origin: str = Field(description="the topic it came from, where a replay sends it")
    key: str | None
    error: str
    type: str | None = None
    version: int | None = None
    event_id: str | None = Field(None, serialization_alias="eventId")
    import_id: str | None = Field(None, serialization_alias="importId")
    replayed_at: datetime | None = Field(None, serialization_alias="replayedAt")


class DeadLetterDetail(DeadLetterItem):
    headers: dict[str, str]
    body: str = Field(description="the message as it was, decoded as UTF-8")


class DeadLetterList(BaseModel):
    total: int
    items: list[DeadLetterItem]


class Replayed(BaseModel):
    id: str
    sent_to: str = Field(serialization_alias="sentTo")
    replayed_at: datetime = Field(serialization_alias="replayedAt")
