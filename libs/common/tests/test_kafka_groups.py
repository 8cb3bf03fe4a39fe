"""Consumer groups carry the topic prefix: test runs and stacks sharing one broker never share a group."""

from typing import Any

import pytest

from mysetlist_common.messaging.kafka import consumer
from mysetlist_common.settings import get_settings


class Broker:
    def subscriber(self, *topics: str, **options: Any) -> dict[str, Any]:
        return {"topics": topics, **options}


@pytest.mark.parametrize(("prefix", "group"), [("", "catalog-ingest"), ("run-7.", "run-7.catalog-ingest")])
def test_the_group_is_prefixed_like_the_topic(
    monkeypatch: pytest.MonkeyPatch, prefix: str, group: str
) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", prefix)
    get_settings.cache_clear()
    try:
        subscribed = consumer(Broker(), "imports.requested", "catalog-ingest")  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()
    assert subscribed["topics"] == (f"{prefix}imports.requested",)
    assert subscribed["group_id"] == group
