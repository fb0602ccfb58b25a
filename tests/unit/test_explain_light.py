"""The plain-Python single-guest path agrees with the numpy batch path."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.models import churn, clv, segments
from guestloyalty.models.features import FeatureFrame
from guestloyalty.serving import light


@pytest.mark.parametrize(
    "calibration",
    [
        {"method": "isotonic", "x": [0.1, 0.3, 0.3, 0.8], "y": [0.05, 0.2, 0.4, 0.9]},
        {"method": "platt", "a": 1.3, "b": -0.4},
        {"method": "identity"},
    ],
)
def test_calibration_agrees(calibration):
    raw = np.array([0.0, 0.05, 0.1, 0.2, 0.3, 0.31, 0.5, 0.8, 0.95, 1.0])
    batch = churn.apply_calibration(calibration, raw)
    single = [light.calibrate(float(r), calibration) for r in raw]
    np.testing.assert_allclose(single, batch, atol=1e-12)


def test_segment_assignment_agrees():
    rng = np.random.default_rng(0)
    names = ("days_since_last_stay", "stays_count", "avg_stay_revenue", "ancillary_share")
    X = np.column_stack(
        [
            rng.exponential(300, 400),
            rng.poisson(3, 400) + 1,
            rng.lognormal(5, 1, 400),
            rng.random(400),
        ]
    ).astype(np.float32)
    X[3, 2] = np.nan
    frame = FeatureFrame(
        guest_id=np.array([f"G{i}" for i in range(400)], dtype=object),
        snapshot_date=np.full(400, np.datetime64("2025-01-01")),
        X=X,
        feature_names=names,
    )
    doc = segments.fit_segments(frame, k_range=(3, 4), seed=1)
    ids, labels = segments.assign(doc, frame)
    for i in range(0, 400, 7):
        values = {name: float(X[i, j]) for j, name in enumerate(names)}
        assert light.assign_segment(values, doc) == (ids[i], labels[i])


def test_tier_agrees():
    cutoffs = clv.tier_cutoffs(np.arange(1000, dtype=float))
    values = np.array([0.0, 499.0, 500.0, 800.0, 949.0, 950.0, 5000.0])
    batch = clv.clv_tier(values, cutoffs)
    assert [light.clv_tier(float(v), cutoffs) for v in values] == batch.tolist()
