"""Drift: PSI per input, thresholds from the origins the model was judged on, clock inputs."""

from __future__ import annotations

import datetime as dt

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


TRAINED = np.array(["2024-01-01", "2024-03-01"], dtype="datetime64[D]").repeat(2_500)
# the rows' mean snapshot date is 2024-01-31; the validation origin 120 days after it
ORIGIN_DATE = dt.date(2024, 5, 30)


def test_a_shift_the_origins_already_showed_raises_the_threshold():
    rng = np.random.default_rng(4)
    train = _frame(rng, 5_000)
    later = _frame(rng, 5_000, shift=1.0)  # the validation snapshot had drifted this much
    ref = drift.reference(
        train, NAMES, snapshot_dates=TRAINED, origins=[drift.Origin(later, ORIGIN_DATE)]
    )
    assert ref["reference_date"] == "2024-01-31" and ref["origin_days"] == [120]
    [seen] = ref["features"]["stays_last_365d"]["origin_psi"]
    assert seen > 0.05
    # scored at the origin's distance: the same shift is what the model was validated under
    at_origin = drift.feature_psi(ref, _frame(rng, 5_000, shift=1.0), NAMES, as_of=ORIGIN_DATE)
    assert at_origin[0].threshold == pytest.approx(drift.PSI_WARN + seen)
    assert at_origin[0].status == "ok"
    # twice as far from the training rows: the trend is expected to have gone on (x 4)
    later_on = dt.date(2024, 9, 27)
    assert drift.threshold(ref, "stays_last_365d", as_of=later_on) == pytest.approx(
        drift.PSI_WARN + 4 * seen
    )
    # never scaled beyond MAX_SCALE
    far_on = dt.date(2026, 1, 1)
    assert drift.threshold(ref, "stays_last_365d", as_of=far_on) == pytest.approx(
        drift.PSI_WARN + drift.MAX_SCALE * seen
    )
    # a feature that did not move at the origin keeps the fixed threshold, and a jump warns
    assert drift.threshold(ref, "revenue_last_365d", as_of=far_on) < drift.PSI_WARN + 0.05
    jump = drift.feature_psi(ref, _frame(rng, 5_000, shift=6.0), NAMES, as_of=ORIGIN_DATE)[0]
    assert jump.psi > jump.threshold and jump.status == "warn"


def test_a_reference_without_origins_uses_the_fixed_threshold():
    rng = np.random.default_rng(5)
    ref = drift.reference(_frame(rng, 2_000), NAMES)
    rows = drift.feature_psi(ref, _frame(rng, 2_000, shift=3.0), NAMES, as_of=ORIGIN_DATE)
    assert rows[0].threshold == drift.PSI_WARN and rows[0].status == "warn"
