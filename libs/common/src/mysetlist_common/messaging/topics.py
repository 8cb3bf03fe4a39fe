"""Kafka topic names. Every event is keyed by artist id so one artist's events stay ordered."""

from mysetlist_common.settings import get_settings

IMPORTS_REQUESTED = "imports.requested"
IMPORTS_PROGRESS = "imports.progress"
DEAD_LETTER_SUFFIX = ".dlq"


def topic(name: str) -> str:
    """The topic's real name, with the optional prefix tests use to isolate themselves."""
    return f"{get_settings().kafka_topic_prefix}{name}"


def dead_letter(name: str) -> str:
    return topic(name) + DEAD_LETTER_SUFFIX
