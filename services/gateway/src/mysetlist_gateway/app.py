"""The gateway: kickoff, read API, search, the progress relay, admin and the web page.

Its parts: PostgreSQL sessions and the outbox relay (started with the app), the per-client limits, and
the routers, one per resource (`routes/`), included in the order of the OpenAPI document.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_common.web.client_limits import RateLimit, StreamSlots
from mysetlist_common.web.service import service_app
from mysetlist_gateway.routes import artists, decisions, imports, progress, search, web
from mysetlist_gateway.routes.admin import dlq, reimport, replay, resync

ROUTERS = (
    imports.router,
    reimport.router,
    resync.router,
    replay.router,
    dlq.router,
    search.router,
    artists.router,
    decisions.router,
    progress.router,
    web.router,
)


def create_app() -> FastAPI:
    settings = get_settings()
    sessions = session_factory()
    broker = make_broker("gateway")
    relay = OutboxRelay(broker, sessions, settings.outbox_poll_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = sessions
        app.state.relay = relay
        relay.start()
        try:
            yield
        finally:
            await relay.stop()

    # kickoffs only need PostgreSQL: the outbox holds them while Kafka is down, so Kafka is not readiness
    app = service_app("gateway", broker, lifespan=lifespan, kafka_in_readiness=False)
    app.state.kickoff_limit = RateLimit("kickoff", settings.kickoff_limit_per_client_per_min)
    app.state.stream_slots = StreamSlots("sse_streams", settings.sse_streams_per_client)
    for router in ROUTERS:
        app.include_router(router)
    return app
