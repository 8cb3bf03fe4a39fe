"""The `mysetlist` command. Gateway URL: MYSETLIST_URL (default http://127.0.0.1:8000)."""

import typer

from mysetlist_cli import classify, commands, dlq, replay, resync, why

app = typer.Typer(
    name="mysetlist",
    help="Import artists' shows and studio catalogs, and watch the imports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
commands.register(app)
classify.register(app)
why.register(app)
replay.register(app)
dlq.register(app)
resync.register(app)
