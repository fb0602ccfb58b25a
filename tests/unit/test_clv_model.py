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
