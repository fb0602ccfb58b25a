"""The time-to-next-stay hazard model: guest-day log, features without leakage, quality."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.evaluation import metrics
from guestloyalty.models import btyd, survival

D = np.datetime64


def _day(text: str) -> int:
    return survival._days(D(text))


def test_day_log_counts_one_stay_per_day_and_sums_revenue():
    log = survival.day_log(
        np.array(["b", "a", "a", "a"], dtype=object),
        np.array(["2024-01-05", "2024-01-01", "2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
        np.array([10.0, 1.0, 2.0, 4.0]),
    )
    assert list(log.guest_ids) == ["a", "b"]
    assert list(log.count) == [2, 1]
    assert list(np.diff(log.cum_revenue)) == [3.0, 4.0, 10.0]


def test_summary_and_quiet_path_see_nothing_after_the_cutoff():
    days = np.array(["2024-01-01", "2024-03-01", "2024-06-01", "2024-09-01"], dtype="datetime64[D]")
    log = survival.day_log(np.array(["g"] * 4, dtype=object), days, np.ones(4))
    cutoff = _day("2024-06-01")  # exclusive: the 06-01 stay is the future
    summary = survival.summarize(log, cutoff)
    assert summary.n.tolist() == [2.0]
    assert summary.last.tolist() == [float(_day("2024-03-01"))]
    names = survival.SURVIVAL_FEATURES
    for ahead in (0, 200, 500):
        row = survival.design(log, summary, cutoff + ahead)[0]
        assert row[names.index("stay_days")] == 2
        assert row[names.index("days_since_last_stay")] == cutoff + ahead - _day("2024-03-01")
        # the 365-day window never counts the stays after the cut-off, however far ahead
        assert row[names.index("stays_per_year_last_365d")] <= 2 * 365.25 / 30
    far = survival.design(log, summary, cutoff + 500)[0]
    assert far[names.index("stays_per_year_last_365d")] == 0


def test_guests_first_seen_after_the_cutoff_are_not_summarised():
    log = survival.day_log(
        np.array(["old", "new"], dtype=object),
        np.array(["2024-01-01", "2024-05-01"], dtype="datetime64[D]"),
        np.ones(2),
    )
    summary = survival.summarize(log, _day("2024-03-01"))
    assert log.guest_ids[summary.guest].tolist() == ["old"]


@pytest.mark.parametrize(("horizon", "period"), [(30, 7), (192, 16), (365, 30), (730, 31)])
def test_period_is_a_twelfth_of_the_horizon_within_a_week_and_a_month(horizon, period):
    assert survival.period_days(horizon) == period


def _regular_world(seed: int, guests: int = 1500):
    """Guests who buy on a steady rhythm (gap CV ~0.25) until they drop out: BG/NBD's
    Poisson assumption misses the rhythm, a hazard model on the guest's own gaps does not."""
    rng = np.random.default_rng(seed)
    ids, dates = [], []
    start = D("2020-01-01")
    for g in range(guests):
        gap = rng.gamma(2.0, 30.0) + 10
        life = rng.exponential(500)
        t = rng.uniform(0, 90)
        while t < min(life, 1000):
            ids.append(f"G{g:05d}")
            dates.append(start + np.timedelta64(int(t), "D"))
            t += max(gap * rng.gamma(16, 1 / 16), 1)
    return np.array(ids, dtype=object), np.array(dates, dtype="datetime64[D]")


def test_hazard_model_beats_bgnbd_on_a_held_out_window_of_a_rhythmic_base():
    ids, dates = _regular_world(3)
    cutoff = D("2021-07-01")
    horizon = 180
    past = dates < cutoff
    log = survival.day_log(ids[past], dates[past], np.ones(past.sum()))
    day = survival._days(cutoff)
    period = survival.period_days(horizon)
    model = survival.fit_hazard(
        survival.period_rows(log, day, period=period, seed=0), period=period, seed=0
    )
    assert model is not None
    summary = survival.summarize(log, day)
    curve = survival.curve(model, log, summary, max_days=horizon)
    p_model = curve.p_no_stay(horizon)

    rfm = btyd.rfm_summary(ids[past], dates[past], np.ones(past.sum()), calibration_end=cutoff - 1)
    bg = btyd.fit_bgnbd(rfm.frequency, rfm.recency, rfm.T)
    p_btyd = btyd.prob_no_transaction(bg, horizon / 7, rfm.frequency, rfm.recency, rfm.T)
    assert (rfm.customer_ids == log.guest_ids[summary.guest]).all()

    future = (dates >= cutoff) & (dates < cutoff + horizon)
    churned = ~np.isin(log.guest_ids[summary.guest], ids[future])
    auc_model = metrics.roc_auc(churned, p_model)
    auc_btyd = metrics.roc_auc(churned, p_btyd)
    assert auc_model > auc_btyd + 0.01, (auc_model, auc_btyd)


def test_curve_is_monotone_and_answers_any_horizon():
    ids, dates = _regular_world(5, guests=400)
    cutoff = D("2021-01-01")
    past = dates < cutoff
    log = survival.day_log(ids[past], dates[past], np.ones(past.sum()))
    day = survival._days(cutoff)
    model = survival.fit_hazard(survival.period_rows(log, day, period=30), period=30)
    curve = survival.curve(model, log, survival.summarize(log, day))
    assert curve.days[-1] >= survival.MAX_DAYS
    grid = [0, 10, 30, 45, 200, 365, 730]
    values = np.column_stack([curve.p_no_stay(h) for h in grid])
    assert np.allclose(values[:, 0], 1.0)
    assert (np.diff(values, axis=1) <= 1e-9).all()
    expected = curve.expected_days_to_next_stay()
    finite = expected[~np.isnan(expected)]
    assert len(finite) > 0.9 * len(expected)
    assert ((finite > 0) & (finite <= survival.MAX_DAYS)).all()


def test_blend_starts_from_the_baseline_hazard():
    ids, dates = _regular_world(11, guests=300)
    cutoff = D("2021-01-01")
    past = dates < cutoff
    log = survival.day_log(ids[past], dates[past], np.ones(past.sum()))
    rfm = btyd.rfm_summary(ids[past], dates[past], np.ones(past.sum()), calibration_end=cutoff - 1)
    base = survival.BaselineParams(btyd.fit_bgnbd(rfm.frequency, rfm.recency, rfm.T))
    day = survival._days(cutoff)
    summary = survival.summarize(log, day)
    margin = survival.baseline_margin(base, summary, day, 30)
    p_bg = 1 - btyd.prob_no_transaction(base.bgnbd, 30 / 7, rfm.frequency, rfm.recency, rfm.T)
    assert np.allclose(1 / (1 + np.exp(-margin)), np.clip(p_bg, 1e-6, 1 - 1e-6), atol=1e-9)
    rows = survival.period_rows(log, day, period=30, base=base)
    assert rows.margin is not None and len(rows.margin) == len(rows.y)
    model = survival.fit_hazard(rows, period=30)
    with pytest.raises(ValueError, match="baseline"):
        model.hazard(log, summary, day)


def test_model_round_trips_through_its_artifact():
    ids, dates = _regular_world(2, guests=300)
    cutoff = D("2021-01-01")
    past = dates < cutoff
    log = survival.day_log(ids[past], dates[past], np.ones(past.sum()))
    day = survival._days(cutoff)
    model = survival.fit_hazard(survival.period_rows(log, day, period=30), period=30)
    again = survival.load_model(survival.model_bytes(model), survival.model_meta(model))
    summary = survival.summarize(log, day)
    assert np.allclose(model.hazard(log, summary, day), again.hazard(log, summary, day))


def test_too_few_rows_train_nothing():
    log = survival.day_log(
        np.array(["a", "a"], dtype=object),
        np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
        np.ones(2),
    )
    rows = survival.period_rows(log, _day("2024-03-01"), period=7)
    assert survival.fit_hazard(rows, period=7) is None
