"""The HTTP face every service shares: liveness, readiness, Prometheus metrics, broker lifecycle."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import uvicorn
from fastapi import FastAPI, Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from mysetlist_common.db.session import get_engine
from mysetlist_common.kafka import ensure_topics

ReadyCheck = Callable[[], Awaitable[None]]


async def database_ready() -> None:
    async with get_engine().connect() as conn:
        await conn.execute(text("SELECT 1"))


def service_app(
    name: str,
    broker: KafkaBroker | None = None,
    *,
    ready_checks: Sequence[ReadyCheck] = (database_ready,),
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    **fastapi_kwargs: object,
) -> FastAPI:
    """A FastAPI app that starts/stops the broker with the process and serves /healthz, /readyz, /metrics."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        if broker is not None:
            await ensure_topics()
            await broker.start()
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            if broker is not None:
                await broker.stop()
            await get_engine().dispose()

    app = FastAPI(title=name, lifespan=run, **fastapi_kwargs)  # type: ignore[arg-type]

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        # Liveness never depends on Kafka or PostgreSQL: an outage must not restart every pod.
        return {"status": "ok", "service": name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(response: Response) -> dict[str, str]:
        try:
            for check in ready_checks:
                await check()
            if broker is not None and not await broker.ping(timeout=2):
                raise RuntimeError("kafka unreachable")
        except Exception as exc:
            response.status_code = 503
            return {"status": "unready", "reason": str(exc) or type(exc).__name__}
        return {"status": "ready"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
