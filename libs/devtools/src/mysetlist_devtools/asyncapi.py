"""AsyncAPI document of the event contracts, read from the services' own consumers (their routers, handlers
and event types): `python -m mysetlist_devtools.asyncapi`."""

import sys
from pathlib import Path

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from mysetlist_catalog_ingest import consumers as catalog_ingest
from mysetlist_progress import consumers as progress
from mysetlist_shows_ingest import consumers as shows_ingest

DOCUMENT = Path(__file__).resolve().parents[4] / "docs" / "asyncapi.yaml"


def build() -> str:
    broker = KafkaBroker(
        "kafka:9092", description="Events keyed by artist id; one artist's events stay ordered"
    )
    broker.include_routers(shows_ingest.router(), catalog_ingest.router(), progress.router())
    spec = AsyncAPI(broker, title="MySetlist Import events", version="1", schema_version="3.0.0")
    # sorted keys: the generator's own order varies from run to run
    return yaml.safe_dump(spec.to_specification().to_jsonable(), sort_keys=True, allow_unicode=True)


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if DOCUMENT.read_text() == build() else "docs/asyncapi.yaml is stale: regenerate it")
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(build())
    print(f"wrote {DOCUMENT}")
