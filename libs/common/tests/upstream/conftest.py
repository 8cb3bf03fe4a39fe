"""Unit tests of the clients run without a database: every budget books in memory."""

from collections.abc import Iterator

import pytest

from mysetlist_common.upstream.budget.ledger import MemoryLedger
from mysetlist_common.upstream.budget.registry import use_ledger


@pytest.fixture(autouse=True)
def memory_ledger() -> Iterator[MemoryLedger]:
    ledger = MemoryLedger()
    use_ledger(ledger)
    yield ledger
    use_ledger(None)
