"""The HTTP face every service shares: liveness, readiness, Prometheus metrics, broker lifecycle."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import metadata
from typing import Protocol

import uvicorn
from fastapi import FastAPI, Response
from faststream.kafka import KafkaBroker, KafkaRouter
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from mysetlist_common.background import cancel_and_wait
from mysetlist_common.db.session import get_engine
from mysetlist_common.messaging.kafka import start_when_reachable
from mysetlist_common.settings import get_settings
from mysetlist_common.web.http_api import COMMON_ERRORS, install_error_contract
from mysetlist_common.web.http_guard import install_guards

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[None]]
# Well inside Kubernetes' 30 s grace period, which ends in a kill anyway.
BROKER_STOP_S = 10.0


class Worker(Protocol):
    """A background loop that lives as long as the service (the phase runner)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


async def database_ready() -> None:
    async with get_engine().connect() as conn:
        await conn.execute(text("SELECT 1"))


async def stop_broker(broker: KafkaBroker, connecting: asyncio.Task[None]) -> None:
    """Stop consuming and producing, within a bound: a producer flushing to an unresponsive broker would
    otherwise hold the shutdown for its whole request timeout. What is cut off is only what nobody saw
    acknowledged (outbox rows stay unpublished, jobs are handed back), as after a kill -9."""
    await cancel_and_wait(connecting)
    try:
        async with asyncio.timeout(BROKER_STOP_S):
            await broker.stop()
    except TimeoutError:
        log.warning(
            "kafka: the broker did not stop within %.0f s; leaving the rest undelivered", BROKER_STOP_S
        )


def service_app(
    name: str,
    broker: KafkaBroker | None = None,
    *,
    ready_checks: Sequence[ReadyCheck] = (database_ready,),
    kafka_in_readiness: bool = True,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    routers: Sequence[KafkaRouter] = (),
    context: Mapping[str, object] | None = None,
    workers: Sequence[Worker] = (),
    **fastapi_kwargs: object,
) -> FastAPI:
    """A FastAPI app serving /healthz, /readyz, /metrics. The broker connects in the background (retrying
    while Kafka is down) and stops with the process; `routers` (the service's consumers) are included into
    it, and `context` is what their handlers receive (FastStream's `Context`); `workers` start with it and
    stop first.
    `kafka_in_readiness=False` for services whose HTTP side needs only PostgreSQL. Every route answers
    errors as ErrorBody (documented), behind the guards of http_guard (client address, body limit,
    security headers, CORS)."""
    connecting: asyncio.Task[None] | None = None
    if broker is not None:
        broker.include_routers(*routers)
        for key, value in (context or {}).items():
            broker.context.set_global(key, value)
    elif routers:
        raise ValueError("consumers need a broker")

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        nonlocal connecting
        # Undone in reverse: the workers stop first (running phases are handed back), then the broker
        # (in-flight handlers finish), then what they use (HTTP clients, the relay), then the database pool.
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(lambda: get_engine().dispose())
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            if broker is not None:
                connecting = asyncio.create_task(start_when_reachable(broker), name=f"{name}-kafka")
                stack.push_async_callback(stop_broker, broker, connecting)
            for worker in workers:
                worker.start()
                stack.push_async_callback(worker.stop)
            yield

    async def kafka_ready() -> None:
        if broker is None or not kafka_in_readiness:
            return
        if connecting is None or not connecting.done() or connecting.cancelled():
            raise RuntimeError("kafka not connected yet")
        if not await broker.ping(timeout=2):
            raise RuntimeError("kafka unreachable")

    app = FastAPI(
        title=name,
        version=metadata.version(f"mysetlist-{name}"),  # the service's package: one version, in pyproject
        lifespan=run,
        responses=COMMON_ERRORS,
        **fastapi_kwargs,  # type: ignore[arg-type]
    )
    install_error_contract(app)
    install_guards(app, get_settings())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        # Liveness never depends on Kafka or PostgreSQL: an outage must not restart every pod.
        return {"status": "ok", "service": name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(response: Response) -> dict[str, str]:
        try:
            for check in (*ready_checks, kafka_ready):
                await check()
        except Exception as exc:
            response.status_code = 503
            return {"status": "unready", "reason": str(exc) or type(exc).__name__}
        return {"status": "ready"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1; http_guard decides instead
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, proxy_headers=False)
