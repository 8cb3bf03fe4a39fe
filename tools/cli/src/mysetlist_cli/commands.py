"""The user-facing commands: import, status, search. Errors print one line and exit non-zero."""

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from mysetlist_cli import importing, resolve
from mysetlist_cli.gateway import CliError, Gateway
from mysetlist_cli.render import phase_table, search_table

# Tests swap this for a Gateway over a mock transport.
make_gateway: Callable[[], Gateway] = Gateway
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except resolve.Ambiguous as exc:
            console.print(search_table("Did you mean one of these?", exc.choices))
            errors.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(exc.code) from None
        except CliError as exc:
            errors.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(exc.code) from None

    return run  # type: ignore[return-value]


@one_line_errors
def import_artist(
    artist: Annotated[str, typer.Argument(help="an artist's name, or a Ticketmaster attraction id")],
    is_id: Annotated[bool, typer.Option("--id", help="treat ARTIST as a Ticketmaster attraction id")] = False,
    follow: Annotated[bool, typer.Option(help="follow the progress until the import ends")] = True,
) -> None:
    """Import an artist's shows and studio catalog, with live progress per phase and a summary."""
    with make_gateway() as gateway:
        tm_attraction_id, name = resolve.artist_of(gateway, artist, is_id=is_id)
        started = gateway.start_import(tm_attraction_id)
        verb = "started" if started["created"] else "already running, following"
        who = f"[bold]{name}[/] ({tm_attraction_id})" if name else f"[bold]{tm_attraction_id}[/]"
        console.print(f"import of {who} {verb}: import {started['importId']}")
        if not follow:
            console.print(f"page: {gateway.url}/artists/{started['slug']}")
            return
        status = importing.follow(gateway, started["artistId"], console)
        artist_row = gateway.artist(started["artistId"])
        importing.summary(console, artist_row["name"], status)
        console.print(f"page: {gateway.url}/artists/{artist_row['slug']}")
        if status.stage != "completed":
            raise typer.Exit(1)


@one_line_errors
def status(
    artist: Annotated[str, typer.Argument(help="artist name, slug, Ticketmaster id or artist id")],
) -> None:
    """Show the latest import of an artist; exits 1 when it failed."""
    with make_gateway() as gateway:
        found = resolve.imported_artist(gateway, artist)
        if found.get("lastImport") is None:
            raise CliError(f"{found['name']} has no import yet")
        current = gateway.status(found["id"])
        counts = found["counts"]
        console.print(
            f"[bold]{found['name']}[/] ({found['slug']}): {counts['upcomingShows']} upcoming shows, "
            f"{counts['pastShows']} past shows, {counts['songs']} songs"
        )
        console.print(phase_table(f"import {current.import_id}: {current.stage}", current.phases))
        if current.message:
            console.print(current.message)
        if current.stage == "failed":
            raise typer.Exit(1)


@one_line_errors
def search(
    text: Annotated[str, typer.Argument(help="part of an artist's name")],
    limit: Annotated[int, typer.Option(min=1, max=20, help="how many results")] = 10,
) -> None:
    """Search Ticketmaster for artists (nothing is imported)."""
    with make_gateway() as gateway:
        hits = gateway.search(text, limit)
    if not hits:
        raise CliError(f"no artist matches {text!r}")
    console.print(search_table(f"Artists matching {text!r}", hits))


def register(app: typer.Typer) -> None:
    app.command("import")(import_artist)
    app.command("status")(status)
    app.command("search")(search)
