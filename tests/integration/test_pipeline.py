"""Invariants of a whole pipeline run: tables, keys, ranges, no leakage past as_of."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.integration

GOLD_TABLES = {
    "guest_360",
    "guest_feature_snapshots",
    "guest_scores",
    "run_context",
    "model_registry",
    "guest_score_history",
    "run_log",
}


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    yield con
    con.close()


def test_run_succeeded_and_published(small_run):
    assert small_run.report.status == "succeeded"
    assert small_run.layout.gold_path.exists()
    assert not small_run.layout.build_dir.exists()


def test_gold_tables_exist(gold):
    tables = {
        row[0]
        for row in gold.execute("select table_name from information_schema.tables").fetchall()
    }
    assert GOLD_TABLES <= tables


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("guest_360", "guest_id"),
        ("guest_scores", "guest_id"),
        ("guest_feature_snapshots", "guest_id, snapshot_date"),
    ],
)
def test_keys_are_unique(gold, table, key):
    rows, distinct = gold.execute(
        f"select count(*), count(distinct ({key})) from {table}"
    ).fetchone()
    assert rows > 0
    assert rows == distinct


def test_probabilities_in_unit_interval(gold):
    low, high, nulls = gold.execute(
        "select min(churn_probability), max(churn_probability), "
        "count(*) filter (where churn_probability is null) from guest_scores"
    ).fetchone()
    assert 0.0 <= low <= high <= 1.0
    assert nulls == 0


def test_every_guest_with_a_stay_is_scored(gold):
    unscored = gold.execute(
        "select count(*) from guest_360 where lifetime_stays > 0 and churn_probability is null"
    ).fetchone()[0]
    assert unscored == 0


def test_clv_never_negative(gold):
    assert gold.execute("select min(clv_horizon) from guest_scores").fetchone()[0] >= 0


def test_labels_only_where_the_horizon_is_observed(gold):
    as_of, horizon = gold.execute("select as_of_date, horizon_days from run_context").fetchone()
    latest_labeled = gold.execute(
        "select max(snapshot_date) from guest_feature_snapshots where is_labeled"
    ).fetchone()[0]
    assert latest_labeled + dt.timedelta(days=horizon) <= as_of + dt.timedelta(days=1)
    unlabeled_with_labels = gold.execute(
        "select count(*) from guest_feature_snapshots where not is_labeled "
        "and (churned is not null or future_revenue is not null)"
    ).fetchone()[0]
    assert unlabeled_with_labels == 0


def test_churn_model_beats_recency_on_the_held_out_snapshot(gold):
    """Validation AUC (latest labeled snapshot, never trained on) beats recency alone."""
    import json

    from guestloyalty.evaluation.metrics import roc_auc

    metrics = json.loads(
        gold.execute(
            "select metrics from model_registry where model_name = 'churn' and is_promoted"
        ).fetchall()[0][0]
    )
    valid = gold.sql(
        "select churned, days_since_last_stay from guest_feature_snapshots "
        "where snapshot_date = (select max(snapshot_date) from guest_feature_snapshots "
        "where is_labeled)"
    ).pl()
    recency_auc = roc_auc(valid["churned"].to_numpy(), valid["days_since_last_stay"].to_numpy())
    assert metrics["auc"] > recency_auc
    assert metrics["auc"] > 0.7


def _day(column: str) -> pl.Expr:
    """The date part of a date, timestamp or text column (text: unparseable -> null)."""
    return pl.col(column).cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


#: entity -> the column that says when a row became known
KNOWN_AT = {
    "stays": "check_in_date",
    "engagement_events": "occurred_at",
    "loyalty_transactions": "occurred_at",
    "reviews": "submitted_at",
    "special_requests": "created_at",
    "preferences": "updated_at",
    "campaign_members": "assigned_at",
    "guests": "created_at",
}
