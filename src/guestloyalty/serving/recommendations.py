"""One guest's top recommendations, read from last night's ``guest_recommendations``.

The recommendation stage learns from every guest's stays at once, so ``score-guest`` does not
recompute anything: it reads the guest's first rows (bound id, primary-key order) from gold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    import duckdb

#: How many recommendations ``score-guest`` shows.
SHOWN = 3


class Recommendation(BaseModel):
    """One recommendation (see the ``guest_recommendations`` table)."""

    rank: int
    item_kind: str = Field(description="property, room_type, extra or offer.")
    item_id: str
    item_name: str
    score: float = Field(ge=0.0, le=1.0)
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
