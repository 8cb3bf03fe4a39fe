"""The control surface other tools rely on: /_sim/artists, /_sim/truth, /_sim/stats, /_sim/config."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .config import ConfigError
from .core import Sim, json_response


def _sim(request: Request) -> Sim:
    sim: Sim = request.app.state.sim
    return sim


async def artists(request: Request) -> Response:
    sim = _sim(request)
    return json_response(
        [
            {
                "tm_attraction_id": a.attraction.id,
                "spotify_id": a.spotify.id if a.spotify else None,
                "mbid": a.attraction.mbid,
                "name": a.name,
                "profile": a.profile,
                "events": len(a.events),
                "recordings": len(a.truth_recordings),
                "support_acts": a.support_acts,  # their truth is served too
                "population": False,
            }
            for a in sim.catalog.artists
        ]
        + sim.population.listing(sim.config.population)
    )


async def truth(request: Request) -> Response:
    sim, tm_attraction_id = _sim(request), request.path_params["tm_attraction_id"]
    sim.population.reveal([tm_attraction_id], sim.config.population)
    found = sim.catalog.truth(tm_attraction_id)
    if found is None:
        return json_response({"error": "unknown tm_attraction_id"}, 404)
    return json_response(found)


async def stats(request: Request) -> Response:
    return json_response(_sim(request).stats.data)


async def stats_reset(request: Request) -> Response:
    sim = _sim(request)
    sim.reset()
    return json_response(sim.stats.data)


async def config(request: Request) -> Response:
    sim = _sim(request)
    if request.method == "POST":
        try:
            sim.config.update(orjson.loads(await request.body() or b"{}"))
        except orjson.JSONDecodeError as exc:
            return json_response({"error": f"body is not JSON: {exc}"}, 400)
        except ConfigError as exc:
            return json_response({"error": str(exc)}, 400)
    return json_response(sim.config.as_dict())


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


def routes() -> list[Route]:
    return [
        Route("/_sim/artists", artists),
        Route("/_sim/truth/{tm_attraction_id}", truth),
        Route("/_sim/stats", stats),
        Route("/_sim/stats/reset", stats_reset, methods=["POST"]),
        Route("/_sim/config", config, methods=["GET", "POST"]),
        Route("/healthz", healthz),
    ]
