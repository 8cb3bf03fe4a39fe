"""The progress service: records import events, serves status and SSE streams."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_common.web.client_limits import StreamSlots
from mysetlist_common.web.service import service_app
from mysetlist_progress import consumers, status, stream
from mysetlist_progress.consumers import RECORDING, Recording
from mysetlist_progress.notifier import Notifier
from mysetlist_progress.watchdog import StallWatchdog


def create_app() -> FastAPI:
    settings = get_settings()
    sessions = session_factory()
    broker = make_broker("progress")
    relay = OutboxRelay(broker, sessions, settings.outbox_poll_interval_s)
    notifier = Notifier(settings.database_url)
    watchdog = StallWatchdog(sessions, relay, settings.import_stall_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = sessions
        app.state.notifier = notifier
        app.state.heartbeat_s = settings.sse_heartbeat_s
        notifier.start()
        relay.start()
        watchdog.start()
        try:
            yield
        finally:
            await watchdog.stop()
            await relay.stop()
            await notifier.stop()

    # status and streams need only PostgreSQL: stay ready through a Kafka outage
    app = service_app(
        "progress",
        broker,
        lifespan=lifespan,
        kafka_in_readiness=False,
        routers=[consumers.router()],
        context={RECORDING: Recording(sessions, relay)},
    )
    app.state.stream_slots = StreamSlots("sse_streams", settings.sse_streams_per_client)
    app.include_router(status.router)
    app.include_router(stream.router)
    return app
