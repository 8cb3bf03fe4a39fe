"""The error contract every HTTP API here keeps: one error body for every 4xx and 5xx, documented on every
route, and a database outage answered 503 with Retry-After instead of a crash."""

import logging
from collections.abc import Mapping
from typing import Any

import asyncpg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

# PostgreSQL's bigint: offsets and event ids past it would reach the database and fail there
BIGINT_MAX = 2**63 - 1
# PostgreSQL text cannot hold NUL: a query parameter that reaches the database must not carry one
NO_NUL = r"^[^\x00]*$"
RETRY_AFTER_S = 5  # what a client waits before retrying after a 503 of an outage


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body, query, path or header, then the field")
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: str = Field(description="what went wrong, for people")
    errors: list[FieldError] | None = Field(default=None, description="422 only: each invalid field")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every route (FastAPI adds these to each operation of the app).
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    422: _error("a parameter or the body is invalid: `errors` names each field"),
    500: _error("an unexpected failure"),
    503: _error("a dependency (PostgreSQL) is unavailable: retry after Retry-After seconds"),
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("the body cannot be parsed (not UTF-8 JSON)"),
    413: _error("the request body is too large"),
}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: _error("too many requests from this client: retry after Retry-After seconds")
}


def error_response(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        ErrorBody(detail=detail).model_dump(exclude_none=True), status, headers=dict(headers or {})
    )


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means PostgreSQL cannot be reached (refused, timed out, restarting, connection lost)."""
    if isinstance(exc, OSError | sqlalchemy.exc.TimeoutError):  # refused, connect timeout, pool timeout
        return True
    if isinstance(exc, asyncpg.CannotConnectNowError | asyncpg.TooManyConnectionsError):
        return True
    if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError
        )
    return False


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), exc.headers)


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # the rejected input is not echoed back: it can be large, or something the client should not see again
    errors = [FieldError(loc=list(e["loc"]), msg=e["msg"], type=e["type"]) for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e.loc[1:] or e.loc))}: {e.msg}" for e in errors)
    body = ErrorBody(detail=detail or "invalid request", errors=errors)
    return JSONResponse(jsonable_encoder(body), 422)


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    if database_unavailable(exc):
        log.warning("database unavailable: %s", type(exc).__name__)  # never the URL: it holds the password
        return error_response(503, "database unavailable, retry later", {"Retry-After": str(RETRY_AFTER_S)})
    log.error("database error", exc_info=exc)
    return error_response(500, "internal error")


async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    # ServerErrorMiddleware answers with this and then re-raises, so the server logs the traceback
    return error_response(500, "internal error")


# What a database failure can surface as (SQLAlchemy wraps some, asyncpg's connect raises others raw).
DATABASE_ERRORS = (OSError, sqlalchemy.exc.SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)


def install_error_contract(app: FastAPI) -> None:
    """Every error this app answers is an ErrorBody; database outages are 503 with Retry-After."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected)
