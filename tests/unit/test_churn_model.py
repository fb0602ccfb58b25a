"""Churn: time split, calibration, risk bands, days until lost — judged on held-out rows."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.errors import TrainingError
from guestloyalty.evaluation import metrics
from guestloyalty.models import churn
from guestloyalty.models.features import FeatureFrame

NAMES = ("days_since_last_stay", "stays_count", "noise")


def _world(n_per_snapshot: int = 1500, snapshots: int = 5, seed: int = 0) -> FeatureFrame:
    """Snapshots where churn depends on recency and frequency (plus noise)."""
    rng = np.random.default_rng(seed)
    rows = n_per_snapshot * snapshots
    recency = rng.exponential(200, rows)
    stays = rng.poisson(2, rows) + 1
    noise = rng.normal(size=rows)
    logit = -1.0 + recency / 150 - 0.5 * stays
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    dates = np.repeat(
        np.array(
            ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"][:snapshots],
            dtype="datetime64[D]",
        ),
        n_per_snapshot,
    )
    return FeatureFrame(
        guest_id=np.array([f"G{i % n_per_snapshot}" for i in range(rows)], dtype=object),
        snapshot_date=dates,
        X=np.column_stack([recency, stays, noise]).astype(np.float32),
        feature_names=NAMES,
        churned=churned,
        future_revenue=(1 - churned) * rng.gamma(2, 100, rows).astype(np.float32),
    )


def test_time_split_never_mixes_dates():
    split = churn.time_split(_world(), max_rows=10_000, seed=1)
    assert split.train.snapshot_date.max() < split.calib_snapshot < split.valid_snapshot
    assert set(np.unique(split.valid.snapshot_date)) == {split.valid_snapshot}
    assert set(np.unique(split.calib.snapshot_date)) == {split.calib_snapshot}
    assert not split.calib_is_valid


def test_time_split_samples_training_rows_only():
    split = churn.time_split(_world(), max_rows=1000, seed=1)
    assert len(split.train) == 1000
    assert len(split.valid) == 1500


def test_two_snapshots_share_calibration_and_validation():
    split = churn.time_split(_world(snapshots=2), max_rows=10_000, seed=1)
    assert split.calib_is_valid


def test_refit_split_trains_on_every_snapshot_but_the_latest_and_calibrates_on_it():
    split = churn.time_split(_world(), max_rows=10_000, seed=1)
    refit = churn.refit_split(split)
    assert set(np.unique(refit.train.snapshot_date)) == {
        *np.unique(split.train.snapshot_date),
        split.calib_snapshot,
    }
    assert len(refit.train) == len(split.train) + len(split.calib)
    assert refit.calib_snapshot == refit.valid_snapshot == split.valid_snapshot
    assert refit.train.snapshot_date.max() < refit.calib_snapshot
    assert np.array_equal(refit.train.churned[: len(split.train)], split.train.churned)


def test_refit_split_keeps_a_two_snapshot_split():
    split = churn.time_split(_world(snapshots=2), max_rows=10_000, seed=1)
    assert churn.refit_split(split) is split


def test_one_snapshot_is_an_error():
    with pytest.raises(TrainingError, match="2 labeled snapshots"):
        churn.time_split(_world(snapshots=1), max_rows=10_000, seed=1)


def test_model_beats_recency_on_the_held_out_snapshot():
    split = churn.time_split(_world(), max_rows=10_000, seed=1)
    booster = churn.train_churn(split, seed=1)
    raw = churn.raw_churn(booster, split.valid)
    model_auc = metrics.roc_auc(split.valid.churned, raw)
    recency_auc = metrics.roc_auc(split.valid.churned, split.valid.X[:, 0])
    assert model_auc > recency_auc


def test_calibration_improves_brier_on_held_out_rows_and_keeps_ranking():
    rng = np.random.default_rng(3)
    # A badly calibrated score: true p = s**3.
    s_fit, s_test = rng.random(5000), rng.random(5000)
    y_fit = (rng.random(5000) < s_fit**3).astype(float)
    y_test = (rng.random(5000) < s_test**3).astype(float)
    calibration = churn.fit_calibration(s_fit, y_fit)
    assert calibration["method"] == "isotonic"
    calibrated = churn.apply_calibration(calibration, s_test)
    assert metrics.brier(y_test, calibrated) < metrics.brier(y_test, s_test) - 0.05
    assert metrics.roc_auc(y_test, calibrated) == pytest.approx(metrics.roc_auc(y_test, s_test))
    assert np.all(np.diff(calibrated[np.argsort(s_test)]) >= 0)


def test_small_calibration_sets_use_platt():
    rng = np.random.default_rng(4)
    s = rng.random(300)
    y = (rng.random(300) < s).astype(float)
    calibration = churn.fit_calibration(s, y)
    assert calibration["method"] == "platt"
    out = churn.apply_calibration(calibration, np.array([0.1, 0.5, 0.9]))
    assert np.all(np.diff(out) > 0)


def test_one_class_calibration_is_identity():
    calibration = churn.fit_calibration(np.array([0.2, 0.4]), np.array([1.0, 1.0]))
    assert calibration["method"] == "identity"
    assert churn.apply_calibration(calibration, np.array([0.3]))[0] == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("prob", "band"),
    [(0.1, "LOW"), (0.5, "MEDIUM"), (0.69, "MEDIUM"), (0.7, "HIGH"), (0.9, "CRITICAL")],
)
def test_risk_band(prob, band):
    assert churn.risk_band(np.array([prob]), medium=0.5, high=0.7, critical=0.85)[0] == band
