"""The small world's training run: the per-origin selection table and the next-stay columns."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from guestloyalty.models import registry
from guestloyalty.operations.status import collect_status
from guestloyalty.training import selection

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def table(gold):
    rows = gold.sql(
        "select metrics from model_registry where is_promoted and model_name = 'selection'"
    ).fetchall()
    assert len(rows) == 1
    return json.loads(rows[0][0])["table"]


def test_every_candidate_is_scored_on_the_same_guests_at_every_origin(table):
    origins = {row["origin"] for row in table}
    assert len(origins) >= 2
    for origin in origins:
        rows = [row for row in table if row["origin"] == origin]
        assert {"btyd", "survival", "blend"} <= {row["candidate"] for row in rows}
        assert len({row["guests"] for row in rows}) == 1
        assert len({round(row["actual_total"], 6) for row in rows}) == 1


def test_the_latest_origin_is_judged_over_a_shorter_horizon_up_to_as_of(table, gold, small_run):
    as_of = gold.sql("select max(as_of_date) from guest_scores").fetchall()[0][0]
    latest = max((row for row in table if row["kind"] == "rolling"), key=lambda r: r["origin"])
    assert latest["horizon_days"] < small_run.settings.horizon_days
    origin = dt.date.fromisoformat(latest["origin"])
    assert origin + dt.timedelta(days=latest["horizon_days"]) == as_of + dt.timedelta(days=1)


def test_the_promoted_models_never_lose_to_the_baseline_where_they_were_judged(table, small_run):
    manifest = registry.load_promoted(small_run.layout).manifest
    for task in ("churn", "clv"):
        source = manifest[f"{task}_source"]
        if source == "btyd":
            continue
        kind = "validation" if source == "classifier" else "rolling"
        latest = max(row["origin"] for row in table if row["kind"] == kind)
        rows = {row["candidate"]: row for row in table if row["origin"] == latest}
        assert selection.beats_baseline(rows[source], rows["btyd"], task)


def test_next_stay_columns_are_published(gold, small_run):
    as_of, total, dated, low, high, p_min, p_max = gold.sql(
        "select max(as_of_date), count(*), count(next_stay_date_if_return), "
        "min(next_stay_date_if_return), max(next_stay_date_if_return), "
        "min(p_no_stay_horizon), max(p_no_stay_horizon) from guest_scores"
    ).fetchall()[0]
    assert dated > 0.9 * total
    assert low > as_of
    assert high <= as_of + dt.timedelta(days=731)
    assert 0.0 <= p_min <= p_max <= 1.0


def test_status_shows_the_selection_table(small_run):
    status = collect_status(small_run.layout)
    assert {row["candidate"] for row in status.selection} >= {"btyd", "survival", "blend"}
