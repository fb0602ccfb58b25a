"""No feature or label at or before a date D changes when data after D arrives.

Build the feature snapshots at as_of = D twice: from the small world's landing files as they
are, and from the same files truncated to what was known at the end of D (later stays,
bookings, events, loyalty transactions, reviews, requests and preference updates removed;
bookings cancelled or checked out later rolled back to confirmed). Every row, every feature
and every label must agree.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from guestloyalty.config import Settings
from guestloyalty.models.features import FEATURES
from guestloyalty.operations.pipeline import stage_ingest, stage_transform
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

#: Entity -> the column that dates its rows (rows dated after the cut-off are dropped).
EVENT_DATES = {
    "stays": "check_in_date",
    "engagement_events": "occurred_at",
    "loyalty_transactions": "occurred_at",
    "reviews": "submitted_at",
    "special_requests": "created_at",
    "preferences": "updated_at",
    "campaign_members": "assigned_at",
}


def _as_date(column: str) -> pl.Expr:
    """A landing column as a date, whether it arrived typed or as text (dirty rows: null)."""
    return pl.col(column).cast(pl.Utf8).str.slice(0, 10).str.to_date(strict=False)


def _truncate_landing(source: Layout, target: Layout, cutoff: dt.date) -> None:
    """Copy landing files keeping only what was known at the end of ``cutoff``."""
    last = pl.lit(cutoff)
    for path in source.landing_dir.rglob("*.parquet"):
        frame = pl.read_parquet(path)
        entity = path.parent.name
        if entity in EVENT_DATES:
            column = EVENT_DATES[entity]
            # undated (or unparseable) rows stay: they are never used as point-in-time facts
            frame = frame.filter(_as_date(column).is_null() | (_as_date(column) <= last))
        elif entity == "bookings":
            booked = _as_date("booked_at")
            frame = frame.filter(booked.is_null() | (booked <= last))
            later_cancel = _as_date("cancelled_at") > last
            not_yet = pl.col("status").is_in(["checked_out", "no_show"]) & (
                _as_date("arrival_date") > last
            )
            frame = frame.with_columns(
                pl.when(later_cancel.fill_null(False) | not_yet.fill_null(False))
                .then(pl.lit("confirmed"))
                .otherwise(pl.col("status"))
                .alias("status"),
                pl.when(later_cancel.fill_null(False))
                .then(None)
                .otherwise(pl.col("cancelled_at"))
                .alias("cancelled_at"),
            )
        out = target.landing_entity_dir(entity)
        out.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(out / path.name)


def _snapshots_at(layout: Layout, as_of: dt.date) -> pl.DataFrame:
    stage_transform(layout, Settings(data_dir=layout.data_dir, as_of=as_of))
    with duckdb.connect(str(layout.gold_build_path), read_only=True) as con:
        return con.sql(
            "select * from guest_feature_snapshots order by snapshot_date, guest_id"
        ).pl()


def test_no_feature_or_label_sees_past_as_of(small_run, tmp_path):
    """Features and labels at an earlier as_of are the same whether or not later data exist."""
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as gold:
        as_of = gold.execute("select as_of_date from run_context").fetchone()[0]
        later = gold.execute(
            "select count(*) from guest_feature_snapshots where not is_labeled"
        ).fetchone()[0]
    earlier = as_of - dt.timedelta(days=90)

    full = Layout(tmp_path / "full")
    _truncate_landing(small_run.layout, full, as_of + dt.timedelta(days=3650))  # a copy
    stage_ingest(full)
    truncated = Layout(tmp_path / "truncated")
    _truncate_landing(small_run.layout, truncated, earlier)
    stage_ingest(truncated)

    with_future = _snapshots_at(full, earlier)
    without_future = _snapshots_at(truncated, earlier)

    assert with_future.height > 0
    assert set(FEATURES) | {"churned", "future_revenue"} <= set(with_future.columns)
    assert with_future["snapshot_date"].max() == earlier + dt.timedelta(days=1)
    assert with_future.filter(pl.col("is_labeled"))["churned"].null_count() == 0
    # parallel float sums may differ in the last bit; values must agree
    assert_frame_equal(with_future, without_future, check_exact=False, rel_tol=1e-9)
    # and the current snapshot really moved back
    assert with_future.filter(~pl.col("is_labeled")).height <= later
