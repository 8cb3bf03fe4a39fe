"""Set-based upsert: one statement per batch, and a row whose values did not change is not rewritten."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.sql import bindparam

from mysetlist_common.db.schema import Base


def unnest_upsert(
    model: type[Base],
    columns: Mapping[str, Sequence[Any]],
    key: Sequence[str],
    compare: Sequence[str],
    *,
    keep_known: Collection[str] = (),
    also_set: Sequence[str] = (),
    touched: str | None = "updated_at",
) -> Insert:
    """INSERT ... SELECT FROM unnest(one array per column) ON CONFLICT (key) DO UPDATE only what differs.

    One bind parameter per column (typed from the table) keeps the statement small and fast to compile
    whatever the batch size. `compare` are the columns whose change rewrites the row; `keep_known` of them
    never replace a stored value with a missing one; `also_set` are written along without counting as a
    change; `touched` is stamped now() on every rewrite.
    """
    table = model.__table__
    names = list(columns)
    arrays = [bindparam(f"col_{n}", list(columns[n]), type_=ARRAY(table.c[n].type)) for n in names]
    source = func.unnest(*arrays).table_valued(*names).render_derived(name="src")
    stmt = insert(model).from_select(names, select(*(source.c[n] for n in names)))
    new: dict[str, Any] = {c: stmt.excluded[c] for c in compare}
    new |= {c: func.coalesce(stmt.excluded[c], table.c[c]) for c in keep_known}
    changed = tuple_(*(table.c[c] for c in compare)).is_distinct_from(tuple_(*new.values()))
    set_: dict[str, Any] = {**new, **{c: stmt.excluded[c] for c in also_set}}
    if touched:
        set_[touched] = func.now()
    return stmt.on_conflict_do_update(index_elements=[table.c[k] for k in key], set_=set_, where=changed)
