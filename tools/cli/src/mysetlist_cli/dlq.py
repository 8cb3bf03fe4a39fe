"""`mysetlist dlq list|show|replay`: the dead-letter topics, and sending one message back once its cause
is fixed (each is sent back at most once; the gateway remembers it)."""

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mysetlist_cli import admin, commands

console = Console(soft_wrap=True, highlight=False)
dlq_app = typer.Typer(help="Dead letters: list, show, send one back to its topic.", no_args_is_help=True)
REF_HELP = "the message: topic:partition:offset (as `dlq list` shows it)"


@dlq_app.command("list")
@commands.one_line_errors
def list_letters(
    topic: Annotated[str | None, typer.Option(help="one dead-letter topic (default: all)")] = None,
    limit: Annotated[int, typer.Option(help="the newest N")] = 100,
) -> None:
    """The dead letters, oldest first: id, when, type and version, the error, and if sent back, when."""
    with admin.AdminGateway() as gateway:
        page = gateway.dead_letters(topic, limit)
    table = Table(title=f"{page['total']} dead letters")
    for column in ("id", "when", "type", "v", "error", "replayed"):
        table.add_column(column, overflow="fold")
    for item in page["items"]:
        table.add_row(
            item["id"],
            item["timestamp"][:19].replace("T", " "),
            item["type"] or "-",
            str(item["version"] or "-"),
            " ".join(item["error"].split())[:160],
            item["replayedAt"] or "-",
        )
    console.print(table)


def _body(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


@dlq_app.command("show")
@commands.one_line_errors
def show(ref: Annotated[str, typer.Argument(help=REF_HELP)]) -> None:
    """One dead letter: where it came from, why, its headers and its body."""
    with admin.AdminGateway() as gateway:
        item: dict[str, Any] = gateway.dead_letter(ref)
    console.print(f"{item['id']} from {item['origin']} at {item['timestamp']}, key {item['key']}")
    console.print(f"error: {item['error']}")
    console.print(f"sent back: {item['replayedAt'] or 'no'}")
    headers = {k: v for k, v in item["headers"].items() if k != "error"}  # the error is printed above
    console.print(f"headers: {json.dumps(headers)}")
    console.print(_body(item["body"]))


@dlq_app.command("replay")
@commands.one_line_errors
def replay(ref: Annotated[str, typer.Argument(help=REF_HELP)]) -> None:
    """Send the dead letter back to its topic (after its cause is fixed); refused if sent back before."""
    with admin.AdminGateway() as gateway:
        done = gateway.replay_dead_letter(ref)
    console.print(f"{done['id']} sent back to {done['sentTo']} at {done['replayedAt']}")


def register(app: typer.Typer) -> None:
    app.add_typer(dlq_app, name="dlq")
