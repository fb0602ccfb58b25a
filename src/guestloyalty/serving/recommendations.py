"""One guest's top recommendations, read from last night's ``guest_recommendations``.

The recommendation stage learns from every guest's stays at once, so ``score-guest`` does not
recompute anything: it reads the guest's first rows (bound id, primary-key order) from gold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le

if TYPE_CHECKING:
    import duckdb

#: How many recommendations ``score-guest`` shows.
SHOWN = 3


@dataclass(kw_only=True)
class Recommendation:
    """One recommendation (see the ``guest_recommendations`` table)."""

    __pydantic_config__ = {"use_attribute_docstrings": True}

    rank: int
    item_kind: str
    """property, room_type, extra or offer."""
    item_id: str
    item_name: str
    score: Annotated[float, Ge(0.0), Le(1.0)]
    reason: str


def stored_recommendations(
    con: duckdb.DuckDBPyConnection, guest_id: str, *, tables: set[str], limit: int = SHOWN
) -> list[Recommendation]:
    """The guest's first ``limit`` recommendations (none when gold has no such table)."""
    if "guest_recommendations" not in tables:
        return []
    rows = con.execute(
        "select rank, item_kind, item_id, item_name, score, reason from guest_recommendations "
        "where guest_id = ? order by rank limit ?",
        [guest_id, limit],
    ).fetchall()
    names = ("rank", "item_kind", "item_id", "item_name", "score", "reason")
    return [Recommendation(**dict(zip(names, row, strict=True))) for row in rows]
