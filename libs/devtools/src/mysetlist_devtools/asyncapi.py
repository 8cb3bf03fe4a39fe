"""AsyncAPI document of the event contracts, from the models: `python -m mysetlist_devtools.asyncapi`."""

import sys
from pathlib import Path

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from mysetlist_common.messaging.events import ImportRequestedEvent, ProgressEvent
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, IMPORTS_REQUESTED

DOCUMENT = Path(__file__).resolve().parents[4] / "docs" / "asyncapi.yaml"


def build() -> str:
    broker = KafkaBroker(
        "kafka:9092", description="Events keyed by artist id; one artist's events stay ordered"
    )

    @broker.subscriber(IMPORTS_REQUESTED, title="imports.requested", description="Start an import")
    async def import_requested(event: ImportRequestedEvent) -> None:
        """Consumed by shows-ingest and catalog-ingest, each in its own consumer group."""

    @broker.subscriber(
        IMPORTS_PROGRESS, title="imports.progress", description="Phase events and ImportFinished"
    )
    async def import_progress(event: ProgressEvent) -> None:
        """Consumed by the progress service."""

    spec = AsyncAPI(broker, title="MySetlist Import events", version="1", schema_version="3.0.0")
    # sorted keys: the generator's own order varies from run to run
    return yaml.safe_dump(spec.to_specification().to_jsonable(), sort_keys=True, allow_unicode=True)


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if DOCUMENT.read_text() == build() else "docs/asyncapi.yaml is stale: regenerate it")
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(build())
    print(f"wrote {DOCUMENT}")
