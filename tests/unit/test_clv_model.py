"""CLV: never negative, tiers, metrics, and the model against a naive baseline on held-out rows."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.evaluation import metrics
from guestloyalty.models import clv
from guestloyalty.models.churn import time_split
from guestloyalty.models.features import FeatureFrame


def _world(seed: int = 0) -> FeatureFrame:
    rng = np.random.default_rng(seed)
    n, snapshots = 1500, 4
    rows = n * snapshots
    rate = rng.gamma(1.0, 1.0, rows)
    spend = rng.lognormal(5, 0.5, rows)
    past_stays = rng.poisson(rate * 2)
    future = rng.poisson(rate) * spend
    dates = np.repeat(
        np.array(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"], dtype="datetime64[D]"), n
    )
    return FeatureFrame(
        guest_id=np.array([f"G{i % n}" for i in range(rows)], dtype=object),
        snapshot_date=dates,
        X=np.column_stack([past_stays, spend * (past_stays > 0)]).astype(np.float32),
        feature_names=("stays_count", "avg_stay_revenue"),
        churned=(future == 0).astype(np.float32),
        future_revenue=future.astype(np.float32),
    )


def test_model_beats_naive_guesses_on_held_out_rows_and_is_never_negative():
    split = time_split(_world(), max_rows=10_000, seed=1)
    booster = clv.train_clv(split, seed=1)
    predicted = clv.predict_clv(booster, split.valid)
    assert predicted.min() >= 0
    naive = split.valid.X[:, 0] * split.valid.X[:, 1]
    actual = split.valid.future_revenue
    assert metrics.spearman(actual, predicted) > 0.4
    assert metrics.mae(actual, predicted) < metrics.mae(actual, naive)
    assert metrics.mae(actual, predicted) < metrics.mae(actual, np.full(len(actual), actual.mean()))


def test_tiers_from_cutoffs():
    reference = np.arange(100, dtype=float)
    cutoffs = clv.tier_cutoffs(reference)
    tiers = clv.clv_tier(reference, cutoffs)
    assert (tiers == "PLATINUM").sum() == 5
    assert (tiers == "GOLD").sum() == 15
    assert (tiers == "SILVER").sum() == 30
    assert (tiers == "BRONZE").sum() == 50
    assert clv.clv_tier(np.array([1e9, -1.0]), cutoffs).tolist() == ["PLATINUM", "BRONZE"]


def test_metrics_keys():
    out = clv.clv_metrics(np.array([0.0, 10, 20]), np.array([1.0, 9, 30]))
    assert {"mae", "spearman", "capture_top10", "gini", "predicted_total"} <= set(out)


def test_normalized_gini():
    actual = np.array([0.0, 0, 5, 10, 100])
    assert metrics.normalized_gini(actual, actual) == pytest.approx(1.0)
    assert metrics.normalized_gini(actual, -actual) < 0
    assert metrics.normalized_gini(actual, np.ones(5)) == pytest.approx(0.0)


def test_average_precision_matches_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.3
    score = rng.random(500) + y * 0.3
    assert metrics.average_precision(y, score) == pytest.approx(
        sklearn_metrics.average_precision_score(y, score)
    )


def _mostly_gone(seed: int = 0) -> FeatureFrame:
    """Most guests never come back (who does follows recency and visits); spend is noisy."""
    rng = np.random.default_rng(seed)
    n, snapshots = 2000, 4
    rows = n * snapshots
    recency = rng.exponential(300, rows)
    visits = rng.poisson(2, rows) + 1.0
    spend = rng.lognormal(5, 0.8, rows)
    back = rng.random(rows) < 1 / (1 + np.exp(1.0 + recency / 150 - 0.4 * visits))
    future = back * rng.lognormal(np.log(spend), 0.8) * rng.poisson(1.0, rows).clip(1)
    dates = np.repeat(
        np.array(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"], dtype="datetime64[D]"), n
    )
    return FeatureFrame(
        guest_id=np.array([f"G{i % n}" for i in range(rows)], dtype=object),
        snapshot_date=dates,
        X=np.column_stack([recency, visits, spend]).astype(np.float32),
        feature_names=("days_since_last_stay", "stays_count", "avg_stay_revenue"),
        churned=(~back).astype(np.float32),
        future_revenue=future.astype(np.float32),
    )


def test_blend_with_churn_ranks_held_out_revenue_better_than_the_regression_alone():
    from guestloyalty.models import churn

    split = time_split(_mostly_gone(), max_rows=10_000, seed=1)
    booster = churn.train_churn(split, seed=1)
    calibration = churn.fit_calibration(churn.raw_churn(booster, split.calib), split.calib.churned)
    probability = churn.apply_calibration(calibration, churn.raw_churn(booster, split.valid))
    regression = clv.predict_clv(clv.train_clv(split, seed=1), split.valid)
    blended = clv.blend_with_churn(regression, probability, clv.mean_return_revenue(split.calib))
    actual = split.valid.future_revenue
    assert blended.min() >= 0
    assert metrics.spearman(actual, blended) > metrics.spearman(actual, regression) + 0.01
    assert metrics.mae(actual, blended) < 1.05 * metrics.mae(actual, regression)


def test_blend_with_churn_light_matches_batch_and_older_bundles_keep_the_regression():
    from guestloyalty.serving import light

    value = np.array([0.0, 10.0, 250.0, -3.0])
    probability = np.array([0.5, 0.9, 0.1, 0.2])
    batch = clv.apply_blend(value, probability, {"mean_return_revenue": 400.0})
    single = [
        light.blend_with_churn(float(v), float(p), 400.0)
        for v, p in zip(value, probability, strict=True)
    ]
    assert batch.tolist() == pytest.approx(single)
    assert batch[0] == 0.0 and batch[3] == 0.0
    assert batch[2] == pytest.approx(np.sqrt(250.0 * 0.9 * 400.0))
    assert clv.apply_blend(value, probability, None) is value
    assert clv.mean_return_revenue(_mostly_gone()) > 0
