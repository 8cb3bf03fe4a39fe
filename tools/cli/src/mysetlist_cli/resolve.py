"""Turning what a person types (a name, a Ticketmaster id, a slug, an artist id) into one artist."""

import re
from typing import Any

from mysetlist_cli.gateway import CliError, Gateway, looks_like_tm_attraction_id, looks_like_uuid

AMBIGUOUS_EXIT = 2
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Ambiguous(CliError):
    """Several artists match and none exactly: the caller lists `choices` and exits non-zero."""

    def __init__(self, text: str, choices: list[dict[str, Any]]) -> None:
        super().__init__(
            f"{len(choices)} artists match {text!r} and none exactly: pass a tmAttractionId", AMBIGUOUS_EXIT
        )
        self.choices = choices


def pick(text: str, hits: list[dict[str, Any]]) -> dict[str, Any]:
    """The one exact (case-insensitive) name match, else the only hit; otherwise ambiguous."""
    if not hits:
        raise CliError(f"no artist matches {text!r}")
    wanted = " ".join(text.split()).casefold()
    exact = [h for h in hits if h["name"].casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    if len(hits) == 1:
        return hits[0]
    raise Ambiguous(text, exact or hits)


def artist_of(gateway: Gateway, text: str, *, is_id: bool = False) -> tuple[str, str | None]:
    """(tmAttractionId, name when a search found it) for `mysetlist import`."""
    text = text.strip()
    if not text:
        raise CliError("give an artist name or a Ticketmaster attraction id")
    if is_id or looks_like_tm_attraction_id(text):
        return text, None
    hit = pick(text, gateway.search(text))
    return hit["tmAttractionId"], hit["name"]


def imported_artist(gateway: Gateway, text: str) -> dict[str, Any]:
    """An imported artist by id, Ticketmaster id, slug or name, for `mysetlist status`."""
    text = text.strip()
    if looks_like_uuid(text):
        return gateway.artist(text)
    if looks_like_tm_attraction_id(text):
        found = gateway.artist_by_slug(f"tm-{text.lower()}")  # the kickoff slug stays valid forever
        if found is not None:
            return found
        raise CliError(f"artist {text} has not been imported yet: run `mysetlist import {text}`")
    found = gateway.artist_by_slug(text) if _SLUG.match(text) else None
    if found is not None:
        return found
    hit = pick(text, gateway.search(text))
    if hit.get("artistId") is None:
        command = f"mysetlist import {hit['tmAttractionId']}"
        raise CliError(f"{hit['name']} has not been imported yet: run `{command}`")
    return gateway.artist(hit["artistId"])
