"""`mysetlist why ARTIST TRACK`: is the track in the artist's studio catalog, and if not, why.

It reads the gateway's catalog decisions (the same rows the page's "Not in this catalog" section shows)
and matches the track by its title proper, so "Song" finds "Song - Live at Leeds" and "Song (2011
Remaster)" too: every version Spotify listed is accounted for.
"""

from typing import Annotated, Any

import typer
from rich.console import Console

from mysetlist_cli import commands, resolve
from mysetlist_cli.gateway import CliError
from mysetlist_common.catalog_rules.titles import normalize_title, split_title

console = Console(soft_wrap=True, highlight=False)


def _proper(title: str) -> str:
    return normalize_title(split_title(title).main)


def matching(text: str, decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The decisions of tracks titled `text`: exact titles if any, else every version of the title."""
    exact = [d for d in decisions if normalize_title(d["trackName"]) == normalize_title(text)]
    return exact or [d for d in decisions if _proper(d["trackName"]) == _proper(text)]


def describe(decision: dict[str, Any]) -> str:
    """One decision as a line: the track, its release, and for a left-out one the rule and reason."""
    where = f"{decision['trackName']!r} on {decision['releaseName'] or 'an unknown release'!r}"
    if decision["outcome"] == "kept":
        return f"{where}: in the catalog ({decision['reason']})"
    line = f"{where}: {decision['outcome']}, rule {decision['rule']}: {decision['reason']}"
    kept = decision.get("keptVersion")
    if kept:
        line += f"; kept version: {kept['trackName']!r} on {kept['releaseName']!r}"
    return line


def explain(artist: str, text: str, found: list[dict[str, Any]]) -> list[str]:
    """The answer: the verdict first, then one line per version."""
    kept = [d for d in found if d["outcome"] == "kept"]
    others = [d for d in found if d["outcome"] != "kept"]
    if kept:
        lines = [f"{text!r} is in the catalog of {artist}:", *(f"  {describe(d)}" for d in kept)]
        if others:
            lines += ["other versions not in the catalog:", *(f"  {describe(d)}" for d in others)]
        return lines
    return [f"{text!r} is not in the catalog of {artist}:", *(f"  {describe(d)}" for d in others)]


@commands.one_line_errors
def why(
    artist: Annotated[str, typer.Argument(help="artist name, slug, Ticketmaster id or artist id")],
    track: Annotated[str, typer.Argument(help="the track's title")],
) -> None:
    """Say whether a track is in the artist's studio catalog and, if not, why (rule, reason, kept version)."""
    title = track.strip()
    if not _proper(title):
        raise CliError("give a track title")
    with commands.make_gateway() as gateway:
        found_artist = resolve.imported_artist(gateway, artist)
        # the server narrows by the title proper; the exact match is made here, on normalised words
        found = matching(title, gateway.decisions(found_artist["id"], q=split_title(title).main))
        if not found:  # spelt differently ("Dont" for "Don't"): match against every decision
            found = matching(title, gateway.decisions(found_artist["id"]))
    if not found:
        raise CliError(f"no track titled {title!r} was fetched for {found_artist['name']}")
    for line in explain(found_artist["name"], title, found):
        console.print(line, markup=False)


def register(app: typer.Typer) -> None:
    app.command("why")(why)
