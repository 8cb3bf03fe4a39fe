"""POST /api/artists/import: the request body and the answer (a new import, or the running one joined)."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

# Ticketmaster attraction ids are short alphanumeric tokens such as "K8vZ9175BhV".
TM_ATTRACTION_ID_PATTERN = r"^[A-Za-z0-9_-]+$"


class StartImportBody(BaseModel):
    """What a client posts to start an import (the event it leads to is ImportRequested)."""

    # exactly what the schema says: no snake_case alias, no silently stripped whitespace
    model_config = ConfigDict(populate_by_name=False)
    tm_attraction_id: str = Field(
        alias="tmAttractionId",
        min_length=1,
        max_length=64,
        pattern=TM_ATTRACTION_ID_PATTERN,
        description="Ticketmaster attraction id: 1-64 letters, digits, '-' or '_'",
        examples=["K8vZ9171ob7"],
    )


class ImportAccepted(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    artist_id: UUID = Field(serialization_alias="artistId")
    slug: str
    import_id: UUID = Field(serialization_alias="importId")
    created: bool = Field(description="false when an import of this artist was already running")
