"""One queue per key and event loop, all on one ledger (PostgreSQL unless a test chose another)."""

from __future__ import annotations

import asyncio
import weakref

from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.ledger import Ledger
from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.budget.postgres import PgLedger

_LEDGER: Ledger | None = None
# One KeyBudget per event loop (a process-wide budget may outlive a loop: tests, benchmarks) and key.
_BUDGETS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], KeyBudget]] = (
    weakref.WeakKeyDictionary()
)


def use_ledger(ledger: Ledger | None) -> None:
    """Make every budget use `ledger` (a MemoryLedger in unit tests); None: PostgreSQL again."""
    global _LEDGER
    _LEDGER = ledger
    _BUDGETS.clear()


def default_ledger() -> Ledger:
    global _LEDGER
    if _LEDGER is None:
        _LEDGER = PgLedger()
    return _LEDGER


def key_budget(policy: Policy) -> KeyBudget:
    """This process's queue for the key of `policy` (on the running event loop)."""
    budgets = _BUDGETS.setdefault(asyncio.get_running_loop(), {})
    budget = budgets.get((policy.upstream, policy.key_hash))
    if budget is None or budget.policy != policy:
        budget = budgets[(policy.upstream, policy.key_hash)] = KeyBudget(policy, default_ledger())
    return budget


async def forget_budgets() -> None:
    """Start every key afresh, pauses and learned rates included (a test that restored an upstream)."""
    _BUDGETS.clear()
    await default_ledger().forget()
