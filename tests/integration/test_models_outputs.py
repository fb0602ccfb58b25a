"""What the scoring stage leaves in gold: scores, reasons, drift, segments, registry, artifacts."""

from __future__ import annotations

import json

import duckdb
import pytest

from guestloyalty.models import baseline

pytestmark = pytest.mark.integration
requires_btyd = pytest.mark.skipif(
    not baseline.available(), reason="guestloyalty.models.btyd not in this build"
)

SCORE_COLUMNS = {
    "guest_id",
    "as_of_date",
    "churn_probability",
    "churn_risk",
    "lifecycle_stage",
    "expected_next_stay_date",
    "lapses_on",
    "days_overdue",
    "value_at_risk",
    "clv_horizon",
    "horizon_days",
    "clv_tier",
    "max_retention_spend",
    "segment_id",
    "segment",
    "p_no_stay_btyd",
    "clv_btyd",
    "reason_1",
    "reason_2",
    "reason_3",
    "model_version",
    "scored_at",
}


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    yield con
    con.close()


def test_guest_scores_columns(gold):
    columns = {row[0] for row in gold.execute("describe guest_scores").fetchall()}
    assert SCORE_COLUMNS <= columns


def test_clv_is_named_for_its_horizon_and_the_old_name_is_an_alias(gold, small_run):
    [(horizons, mismatched)] = gold.execute(
        "select list(distinct horizon_days), count(*) filter (where clv_12m <> clv_horizon) "
        "from guest_scores"
    ).fetchall()
    assert horizons == [small_run.settings.horizon_days]
    assert mismatched == 0
    for table in ("guest_360", "at_risk_guests", "next_best_action"):
        [(different,)] = gold.execute(
            f"select count(*) from {table} where clv_12m is distinct from clv_horizon"
        ).fetchall()
        assert different == 0, table
    [(profiles,)] = gold.execute(
        "select count(*) from segment_profiles where mean_clv_12m is distinct from "
        "mean_clv_horizon or total_clv_12m is distinct from total_clv_horizon"
    ).fetchall()
    assert profiles == 0


def test_scores_are_in_range(gold):
    row = gold.execute(
        "select min(days_overdue), min(clv_horizon), min(max_retention_spend), "
        "count(*) filter (where reason_1 is null), count(*) filter (where segment_id is null) "
        "from guest_scores"
    ).fetchone()
    assert row[0] >= 0 and row[1] >= 0 and row[2] >= 0
    assert row[3] == 0 and row[4] == 0


def test_lifecycle_dates_without_sentinels(gold):
    stages, missing, guests, crowded, late = gold.execute(
        "select list(distinct lifecycle_stage), "
        "count(*) filter (where expected_next_stay_date is null or lapses_on is null), "
        "count(*), (select max(n) from (select count(*) as n from guest_scores group by "
        "lapses_on)), count(*) filter (where days_overdue > 0 "
        "and expected_next_stay_date + days_overdue > as_of_date) from guest_scores"
    ).fetchone()
    assert set(stages) <= {"new", "active", "slipping", "lapsed", "lost", "reactivated"}
    assert missing == 0  # every scored guest has a stay, so a rhythm
    assert crowded < 0.05 * guests  # dates follow each guest's rhythm, not a grid's end
    assert late == 0


@requires_btyd
def test_baseline_predictions_beside_the_model(gold):
    low, high, nulls = gold.execute(
        "select min(p_no_stay_btyd), max(p_no_stay_btyd), "
        "count(*) filter (where clv_btyd is null) from guest_scores"
    ).fetchone()
    assert 0 <= low <= high <= 1
    assert nulls == 0


def test_retention_spend_is_a_share_of_clv(gold, small_run):
    share = small_run.settings.retention_spend_share
    off = gold.execute(
        "select count(*) from guest_scores where abs(max_retention_spend - ? * clv_horizon) > 0.01",
        [share],
    ).fetchone()[0]
    assert off == 0


def test_three_reasons_per_guest_with_typical_values(gold):
    guests, rows, per_guest = gold.execute(
        "select count(distinct guest_id), count(*), max(n) from ("
        "select guest_id, count(*) over (partition by guest_id) as n "
        "from guest_score_explanations)"
    ).fetchone()
    scored = gold.execute("select count(*) from guest_scores").fetchone()[0]
    assert guests == scored and per_guest == 3 and rows == 3 * scored
    sample = gold.execute("select reason from guest_score_explanations limit 20").fetchall()
    assert all("typical guest" in text for (text,) in sample)


def test_high_risk_guests_are_explained_by_pushes_towards_churn(gold):
    worst = gold.execute(
        "select count(*) filter (where contribution > 0), count(*) "
        "from guest_score_explanations join guest_scores using (guest_id) "
        "where reason_rank = 1 and churn_risk = 'CRITICAL'"
    ).fetchone()
    assert worst[1] == 0 or worst[0] == worst[1]


def test_feature_drift_covers_every_model_input(gold):
    version = gold.execute("select any_value(model_version) from guest_scores").fetchone()[0]
    features = json.loads(
        gold.execute(
            "select features from model_registry where model_name = 'churn' and model_version = ?",
            [version],
        ).fetchone()[0]
    )
    drifted = {row[0] for row in gold.execute("select feature from feature_drift").fetchall()}
    assert set(features) == drifted
    assert gold.execute("select min(psi) from feature_drift").fetchone()[0] >= 0


def test_segment_profiles_add_up(gold):
    total, share = gold.execute(
        "select sum(guests), sum(guest_share) from segment_profiles"
    ).fetchone()
    scored = gold.execute("select count(*) from guest_scores").fetchone()[0]
    assert total == scored
    assert share == pytest.approx(1.0)
    names = gold.execute(
        "select count(*), count(distinct segment) from segment_profiles"
    ).fetchone()
    assert names[0] == names[1]


def test_registry_rows_per_run(gold):
    rows = gold.execute(
        "select model_name, algorithm, metrics, train_rows, training_seconds from model_registry"
    ).fetchall()
    names = {row[0] for row in rows}
    assert {"churn", "clv", "btyd", "segments"} <= names
    churn = next(row for row in rows if row[0] == "churn")
    metrics = json.loads(churn[2])
    for key in ("auc", "pr_auc", "brier", "log_loss", "lift_top10", "capture_top10", "btyd_auc"):
        assert key in metrics
    assert churn[3] > 0 and churn[4] > 0


def test_artifacts_are_json_with_checksums(small_run):
    from guestloyalty.models import registry

    bundle = registry.load_promoted(small_run.layout)
    for name in bundle.manifest["files"]:
        path = bundle.path(name)  # verifies the checksum
        assert path.suffix == ".json"
        json.loads(path.read_text())


@requires_btyd
def test_churn_validation_auc_beats_the_baseline(gold):
    metrics = json.loads(
        gold.execute(
            "select metrics from model_registry where model_name = 'churn' and is_promoted"
        ).fetchone()[0]
    )
    assert metrics["auc"] > metrics["btyd_auc"]
