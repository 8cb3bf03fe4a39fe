"""The gateway: kickoff, read API, search, the web page."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_common.web.client_limits import RateLimit, StreamSlots
from mysetlist_common.web.service import service_app
from mysetlist_gateway import (
    admin,
    decisions_api,
    kickoff,
    ops_dlq,
    ops_replay,
    read_api,
    search,
    sse_proxy,
    web,
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
    app = service_app("gateway", broker, lifespan=lifespan, kafka_in_readiness=False, version="0.1.0")
    app.state.kickoff_limit = RateLimit("kickoff", settings.kickoff_limit_per_client_per_min)
    app.state.stream_slots = StreamSlots("sse_streams", settings.sse_streams_per_client)
    app.include_router(kickoff.router)
    app.include_router(admin.router)
    app.include_router(ops_replay.router)
    app.include_router(ops_dlq.router)
    app.include_router(search.router)
    app.include_router(read_api.router)
    app.include_router(decisions_api.router)
    app.include_router(sse_proxy.router)
    app.include_router(web.router)
    return app
