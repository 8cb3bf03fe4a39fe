"""The simulator as one ASGI app: every upstream at its real path, plus the /_sim control surface."""

from __future__ import annotations

from starlette.applications import Starlette

from . import advance, control, musicbrainz, spotify, ticketmaster
from .catalog import Catalog
from .config import SimConfig
from .core import Sim


def create_app(config: SimConfig | None = None, catalog: Catalog | None = None) -> Starlette:
    """Build an app; pass a catalog to share one generated catalog between several apps (tests)."""
    sim = Sim(config or SimConfig.from_env(), catalog)
    app = Starlette(
        routes=[
            *ticketmaster.routes(),
            *spotify.routes(),
            *musicbrainz.routes(),
            *control.routes(),
            *advance.routes(),
        ]
    )
    app.state.sim = sim
    return app
