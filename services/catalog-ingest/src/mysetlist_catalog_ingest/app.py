"""The catalog-ingest service: consumes ImportRequested, runs the catalog phase, backfills ISRCs."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from mysetlist_catalog_ingest import consumers
from mysetlist_catalog_ingest.backfill import IsrcBackfill
from mysetlist_catalog_ingest.consumers import CONSUMER
from mysetlist_catalog_ingest.phase import CatalogPhase
from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import Phase
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.phases.ingest import ingest_app, phase_intake
from mysetlist_common.settings import get_settings


def create_app() -> FastAPI:
    settings = get_settings()
    sessions = session_factory()
    broker = make_broker(CONSUMER)
    # httpx's default pool (100 connections, 20 kept alive): a bigger keep-alive pool makes httpcore's
    # per-request pool scan the bottleneck of a few hundred concurrent requests.
    http = httpx.AsyncClient(timeout=settings.http_timeout_s)
    phase = CatalogPhase(settings, sessions, http)
    backfill = IsrcBackfill(settings, sessions, http, phase.activity)
    phase.on_stored = backfill.schedule
    intake = phase_intake(broker, CONSUMER, Phase.CATALOG, phase)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.phase = phase
        app.state.backfill = backfill
        try:
            yield
        finally:  # the workers and the broker have stopped by now: nothing uses the client any more
            await http.aclose()

    return ingest_app(broker, intake, consumers.router(), lifespan=lifespan, workers=[backfill])
