"""Drift: PSI per input, thresholds from the origins the model was judged on, clock inputs."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.evaluation import drift

NAMES = ("stays_last_365d", "days_since_first_stay", "revenue_last_365d")


def _frame(rng: np.random.Generator, n: int, *, shift: float = 0.0, age: float = 0.0):
    return np.column_stack(
        [
            rng.poisson(2.0 + shift, n),
            rng.uniform(0, 1000, n) + age,  # tenure: everyone a day older per day
            rng.gamma(2.0, 100.0, n),
        ]
    ).astype(np.float64)


def test_the_same_population_does_not_warn():
    rng = np.random.default_rng(1)
    ref = drift.reference(_frame(rng, 5_000), NAMES)
    rows = drift.feature_psi(ref, _frame(rng, 5_000), NAMES)
    assert [row.status for row in rows] == ["ok", "expected", "ok"]
    assert all(row.psi < 0.05 for row in rows)


def test_a_shift_beyond_the_threshold_warns():
    rng = np.random.default_rng(2)
    ref = drift.reference(_frame(rng, 5_000), NAMES)
    [stays, *_] = drift.feature_psi(ref, _frame(rng, 5_000, shift=3.0), NAMES)
    assert stays.threshold == pytest.approx(drift.PSI_WARN)
    assert stays.psi > drift.PSI_WARN and stays.status == "warn"


def test_tenure_that_only_grows_is_expected_not_a_warning():
    rng = np.random.default_rng(3)
    ref = drift.reference(_frame(rng, 5_000), NAMES)
    tenure = drift.feature_psi(ref, _frame(rng, 5_000, age=700.0), NAMES)[1]
    assert tenure.psi > 1.0
    assert tenure.status == "expected"


def test_a_shift_the_origins_already_showed_raises_the_threshold():
    rng = np.random.default_rng(4)
    train = _frame(rng, 5_000)
    later = _frame(rng, 5_000, shift=1.0)  # the validation snapshot had drifted this much
    ref = drift.reference(train, NAMES, origins=[later])
    spec = ref["features"]["stays_last_365d"]
    assert spec["origin_psi"] > 0.05
    assert spec["threshold"] == pytest.approx(drift.PSI_WARN + spec["origin_psi"])
    assert ref["origins"] == 1
    same_again = drift.feature_psi(ref, _frame(rng, 5_000, shift=1.0), NAMES)[0]
    assert same_again.status == "ok"
    far = drift.feature_psi(ref, _frame(rng, 5_000, shift=4.0), NAMES)[0]
    assert far.psi > far.threshold and far.status == "warn"


def test_a_reference_written_before_thresholds_uses_the_fixed_one():
    rng = np.random.default_rng(5)
    ref = drift.reference(_frame(rng, 2_000), NAMES)
    for spec in ref["features"].values():
        del spec["threshold"], spec["origin_psi"]
    rows = drift.feature_psi(ref, _frame(rng, 2_000, shift=3.0), NAMES)
    assert rows[0].threshold == drift.PSI_WARN and rows[0].status == "warn"
