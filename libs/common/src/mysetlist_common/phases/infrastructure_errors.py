"""Which errors mean PostgreSQL or Kafka is away rather than the phase being wrong: the runner retries
those without counting a failure, and logs any error by its kind only (never SQL, parameters or secrets)."""

from aiokafka.errors import KafkaError
from faststream.exceptions import IncorrectState
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def is_infrastructure_error(exc: BaseException) -> bool:
    """PostgreSQL or Kafka unreachable: nothing the phase did wrong, so it does not count as a failure."""
    infrastructure = (
        OperationalError | InterfaceError | PoolTimeout | KafkaError | IncorrectState | OSError | TimeoutError
    )
    if isinstance(exc, infrastructure):  # IncorrectState: the broker is not connected (yet, or any more)
        return True
    if isinstance(exc, DBAPIError):
        code = str(getattr(exc.orig, "sqlstate", "") or "")
        return exc.connection_invalidated or code.startswith(("08", "57P"))
    return False


def error_kind(exc: BaseException) -> str:
    """What a log line says of an error it must not quote."""
    return type(exc).__name__
