"""A service's shutdown never waits on Kafka without bound: a broker whose stop hangs (a producer flushing
to an unresponsive broker) is given up on after BROKER_STOP_S, with a log line saying so."""

import asyncio
import logging
from typing import cast

import pytest
from faststream.kafka import KafkaBroker

from mysetlist_common.web import service


async def forever() -> None:
    await asyncio.Event().wait()


class HangingBroker:
    def __init__(self) -> None:
        self.stop_called = False

    async def stop(self) -> None:
        self.stop_called = True
        await forever()  # the flush that never ends


async def test_a_broker_that_never_stops_is_given_up_on_after_the_bound(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service, "BROKER_STOP_S", 0.1)
    broker = HangingBroker()
    connecting = asyncio.create_task(forever())  # still connecting when the stop comes
    with caplog.at_level(logging.WARNING, logger=service.__name__):
        await asyncio.wait_for(service.stop_broker(cast(KafkaBroker, broker), connecting), 30)
    assert broker.stop_called and connecting.cancelled()
    assert "did not stop within" in caplog.text
