"""`mysetlist replay`: re-import a selection of artists as new imports (reason `replay`), through the
gateway's admin API, which paces the kickoffs; `--dry-run` lists them and changes nothing."""

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mysetlist_cli import admin, commands
from mysetlist_cli.gateway import CliError

console = Console(soft_wrap=True, highlight=False)


def iso(text: str) -> datetime:
    """An ISO 8601 time (`Z` or an offset; none means UTC, as everywhere in the system)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-30T01:00:00Z)", code=2) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def request_body(
    artist: str | None,
    import_id: str | None,
    failed_since: str | None,
    requested_between: tuple[str, str] | None,
    dry_run: bool,
    rate: float | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"dryRun": dry_run}
    if artist is not None:
        body["artist"] = artist
    if import_id is not None:
        body["importId"] = import_id
    if failed_since is not None:
        body["failedSince"] = iso(failed_since).isoformat()
    if requested_between is not None:
        body["requestedBetween"] = [iso(moment).isoformat() for moment in requested_between]
    if rate is not None:
        body["ratePerSecond"] = rate
    if len(body) - ("ratePerSecond" in body) != 2:
        raise CliError("give exactly one of --artist, --import, --failed-since, --requested-between", code=2)
    return body


def render(answer: dict[str, Any]) -> Table:
    title = "would replay" if answer["dryRun"] else "replayed"
    table = Table(title=f"{title}: {answer['started']} new, {answer['joined']} joining a running import")
    for column in ("tmAttractionId", "artist", "replay of", "outcome", "import"):
        table.add_column(column)
    for item in answer["items"]:
        table.add_row(
            item["tmAttractionId"],
            item["artistId"] or "-",
            item["replayOf"] or "-",
            item["outcome"],
            item["importId"] or "-",
        )
    return table


@commands.one_line_errors
def replay(
    artist: Annotated[str | None, typer.Option(help="artist id or Ticketmaster attraction id")] = None,
    import_id: Annotated[str | None, typer.Option("--import", help="an import id")] = None,
    failed_since: Annotated[
        str | None, typer.Option(help="artists whose latest import failed since then (ISO 8601)")
    ] = None,
    requested_between: Annotated[
        tuple[str, str] | None,
        typer.Option(help="START END: what imports.requested holds in [START, END) (ISO 8601)"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be replayed")] = False,
    rate: Annotated[float | None, typer.Option(help="kickoffs per second (gateway default 5)")] = None,
) -> None:
    """Re-import artists as new imports (reason replay), paced; an artist importing already is joined."""
    if requested_between is not None and None in requested_between:  # typer's empty tuple option
        requested_between = None
    body = request_body(artist, import_id, failed_since, requested_between, dry_run, rate)
    with admin.AdminGateway() as gateway:
        console.print(render(gateway.replay(body)))


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)
