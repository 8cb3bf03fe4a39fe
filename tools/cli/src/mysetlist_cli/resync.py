"""`mysetlist resync`: the resync plan within Ticketmaster's daily quota, and requesting it.

Admin endpoints of the gateway: the token comes from MYSETLIST_ADMIN_TOKEN, else the local stack's file.
"""

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from mysetlist_cli import commands, resolve
from mysetlist_cli.commands import console, one_line_errors


def plan_table(title: str, items: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("#", "artist", "why", "mode", "Ticketmaster", "Spotify"):
        table.add_column(column, justify="right" if column in ("#", "Ticketmaster", "Spotify") else "left")
    for number, item in enumerate(items, 1):
        table.add_row(
            str(number),
            item["name"],
            item["why"],
            item["mode"],
            str(item["ticketmasterRequests"]),
            f"~{item['spotifyRequests']}",
        )
    return table


def quota_line(plan: dict[str, Any]) -> str:
    quota = plan["quota"]
    if quota is None:
        return "Ticketmaster quota unknown: nothing is planned until it is seen"
    reset = datetime.fromisoformat(quota["resetAt"]).astimezone()
    return (
        f"Ticketmaster quota: {quota['available']} of {quota['limit']} requests left today "
        f"(resets {reset:%Y-%m-%d %H:%M}); resyncs may use {plan['share']:.0%} of it: "
        f"{plan['spentToday']} spent today, {plan['allowance']} left; "
        f"this plan uses {plan['plannedTicketmasterRequests']}"
    )


def show(plan: dict[str, Any], verb: str) -> None:
    planned, deferred = plan["planned"], plan["deferred"]
    if planned:
        console.print(plan_table(f"{verb} ({len(planned)} artists)", planned))
    else:
        console.print(f"nothing to resync now ({verb.lower()})")
    console.print(quota_line(plan), markup=False, highlight=False)
    if deferred:
        console.print(
            plan_table(f"Left for tomorrow ({len(deferred)} artists: quota share or --limit)", deferred)
        )


@one_line_errors
def resync(
    run: Annotated[
        bool, typer.Option("--run", help="request the planned resyncs (background imports)")
    ] = False,
    plan_only: Annotated[bool, typer.Option("--plan", help="only print the plan (the default)")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="refresh at most this many artists")] = None,
    artist: Annotated[
        str | None, typer.Option(help="only this artist: id, Ticketmaster id, slug or name")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="full re-imports instead of incremental ones")] = False,
) -> None:
    """Refresh imported artists within the daily Ticketmaster quota: --plan shows who and why, --run asks."""
    if run and plan_only:
        raise typer.BadParameter("--plan and --run exclude each other")
    with commands.make_gateway() as gateway:
        params: dict[str, Any] = {"mode": "full" if full else "incremental"}
        if limit is not None:
            params["limit"] = limit
        if artist is not None:
            params["artist"] = resolve.imported_artist(gateway, artist)["id"]
        if run:
            result = gateway.resync(params)
            show(result, "Requested")
            console.print(f"{len(result['started'])} resync imports requested (background priority)")
        else:
            show(gateway.resync_plan(params), "Would refresh")


def register(app: typer.Typer) -> None:
    app.command("resync")(resync)
