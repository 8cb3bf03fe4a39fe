"""shows-ingest: consumes ImportRequested in its own group and runs the shows phase."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import Phase
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.phases.ingest import ingest_app, phase_intake
from mysetlist_common.settings import get_settings
from mysetlist_shows_ingest import consumers
from mysetlist_shows_ingest.consumers import CONSUMER
from mysetlist_shows_ingest.phase import ShowsPhase


def create_app() -> FastAPI:
    broker = make_broker(CONSUMER)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
    phase = ShowsPhase(get_settings(), session_factory(), http)
    intake = phase_intake(broker, CONSUMER, Phase.SHOWS, phase)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await http.aclose()

    return ingest_app(broker, intake, consumers.router(), lifespan=lifespan)
