"""The run-level plausibility gate: before publish, compare this run with the published gold.

A run whose outputs jump implausibly against the last published gold stops before publish,
with one line saying what changed, which file it most likely came from, and how to accept it
(``guestloyalty pipeline --accept-changes``). Gold stays as it was. The checks
(thresholds in :class:`~guestloyalty.config.Settings`):

- ``as_of`` moves forward by more than ``gate_max_as_of_jump_days`` (default 45);
- an entity's quarantined share of bronze rows multiplies by more than
  ``gate_quarantine_factor`` (default 3) and grows by at least ``gate_quarantine_min_points``
  (default 1 percentage point) and by at least 10 rows (a first small file of a new entity
  with one bad row is no jump);
- the guests with scores, or the total revenue of ``business_metrics``, move by more than
  ``gate_max_change_share`` (default 50 %) either way.

A data directory without a published gold (the first run) has nothing to compare with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from guestloyalty.config import Settings
from guestloyalty.warehouse import Layout, connect

#: Dated columns of the silver base tables, to name the file that moved as_of.
_DATED = (
    ("stays", "check_in_date"),
    ("bookings", "cast(booked_at as date)"),
    ("engagement_events", "cast(occurred_at as date)"),
    ("loyalty_transactions", "cast(occurred_at as date)"),
    ("reviews", "cast(submitted_at as date)"),
)


#: An entity's quarantine must grow by at least this many rows to stop a run.
MIN_MORE_QUARANTINED_ROWS = 10


@dataclass(frozen=True)
class RunFigures:
    """What the gate compares: one gold file's as_of, scored guests, revenue, quarantine."""

    as_of: dt.date | None
    scored_guests: int
    total_revenue: float | None
    #: Quarantined share of bronze rows per entity; None when the gold has no quarantine_rules
    #: (published before the table existed), so the check is skipped.
    quarantine_share: dict[str, float] | None = None
    quarantined_rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResult:
    """The implausible changes found (empty: the run may publish)."""

    changes: list[str]

    @property
    def passed(self) -> bool:
        return not self.changes


def read_figures(gold_path: Path) -> RunFigures | None:
    """The figures of a gold file; None when it does not exist or cannot be read."""
    if not gold_path.exists():
        return None
    with contextlib.suppress(Exception), connect(gold_path, read_only=True) as con:
        tables = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if "run_context" not in tables:
            return None
        as_of = con.execute("select as_of_date from run_context").fetchone()[0]
        scored = 0
        if "guest_scores" in tables:
            scored = con.execute("select count(*) from guest_scores").fetchone()[0]
        revenue = None
        if "business_metrics" in tables:
            revenue = con.execute("select sum(revenue) from business_metrics").fetchone()[0]
        shares: dict[str, float] | None = None
        rows: dict[str, int] = {}
        if "quarantine_rules" in tables:
            found = con.execute(
                "select entity, sum(quarantined_rows) / max(bronze_rows), sum(quarantined_rows) "
                "from quarantine_rules where bronze_rows > 0 group by entity"
            ).fetchall()
            shares = {entity: float(share) for entity, share, _ in found}
            rows = {entity: int(count) for entity, _, count in found}
        return RunFigures(as_of, int(scored), float(revenue) if revenue else revenue, shares, rows)
    return None


def check_run(layout: Layout, settings: Settings) -> GateResult:
    """Compare the build with the published gold; the implausible changes, one phrase each."""
    previous = read_figures(layout.gold_path)
    current = read_figures(layout.gold_build_path)
    if previous is None or current is None:
        return GateResult([])
    changes: list[str] = []
    if previous.as_of and current.as_of:
        jump = (current.as_of - previous.as_of).days
        if jump > settings.gate_max_as_of_jump_days:
            source = _newest_file(layout, previous.as_of)
            changes.append(
                f"as_of {previous.as_of} -> {current.as_of} (+{jump:,} days > "
                f"{settings.gate_max_as_of_jump_days}{_from(source)})"
            )
    for entity, share in sorted((current.quarantine_share or {}).items()):
        if previous.quarantine_share is None:
            break
        before = previous.quarantine_share.get(entity, 0.0)
        more_rows = current.quarantined_rows.get(entity, 0) - previous.quarantined_rows.get(
            entity, 0
        )
        if (
            share > before * settings.gate_quarantine_factor
            and share - before >= settings.gate_quarantine_min_points / 100
            and more_rows >= MIN_MORE_QUARANTINED_ROWS
        ):
            source = _top_quarantine(layout, entity)
            changes.append(
                f"{entity} quarantined {before:.1%} -> {share:.1%} of rows{_from(source)}"
            )
    limit = settings.gate_max_change_share
    if previous.scored_guests and _moved(previous.scored_guests, current.scored_guests, limit):
        changes.append(
            f"guests with scores {previous.scored_guests:,} -> {current.scored_guests:,} "
            f"({_percent(previous.scored_guests, current.scored_guests)})"
        )
    if previous.total_revenue and _moved(
        previous.total_revenue, current.total_revenue or 0.0, limit
    ):
        source = _richest_file(layout)
        changes.append(
            f"total revenue {previous.total_revenue:,.0f} -> {current.total_revenue or 0:,.0f} "
            f"({_percent(previous.total_revenue, current.total_revenue or 0.0)}{_from(source)})"
        )
    return GateResult(changes)


def _moved(before: float, after: float, limit: float) -> bool:
    return abs(after - before) > limit * abs(before)


def _percent(before: float, after: float) -> str:
    return f"{(after - before) / before:+.0%}"


def _from(source: str | None) -> str:
    return f"; {source}" if source else ""


def _silver(layout: Layout):  # noqa: ANN202
    return connect(layout.silver_path, read_only=True)


def _newest_file(layout: Layout, after: dt.date) -> str | None:
    """The file with the most passing rows dated after ``after``."""
    parts = [
        f"select _source_file from base_bronze__{entity} where failed_rule is null and {column} > ?"
        for entity, column in _DATED
    ]
    with contextlib.suppress(Exception), _silver(layout) as con:
        row = con.execute(
            f"select _source_file, count(*) from ({' union all '.join(parts)}) "
            "group by 1 order by 2 desc limit 1",
            [after] * len(parts),
        ).fetchone()
        if row:
            return f"newest rows from {row[0]} ({row[1]:,})"
    return None


def _top_quarantine(layout: Layout, entity: str) -> str | None:
    with contextlib.suppress(Exception), _silver(layout) as con:
        row = con.execute(
            "select _source_file, failed_rule, count(*) from quarantine where entity = ? "
            "group by 1, 2 order by 3 desc limit 1",
            [entity],
        ).fetchone()
        if row:
            return f"most from {row[0]}: {row[1]} {row[2]:,}"
    return None


def _richest_file(layout: Layout) -> str | None:
    with contextlib.suppress(Exception), _silver(layout) as con:
        row = con.execute(
            "select _source_file, sum(total_revenue) from base_bronze__stays "
            "where failed_rule is null group by 1 order by 2 desc limit 1"
        ).fetchone()
        if row:
            return f"most revenue from {row[0]} ({row[1]:,.0f})"
    return None
