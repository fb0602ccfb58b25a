"""Training reads bounded samples drawn in SQL; the baseline is fitted on a guest sample."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from guestloyalty.models import baseline, features
from guestloyalty.training import train

DATES = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1), dt.date(2024, 4, 1)]


@pytest.fixture
def con():
    """guest_feature_snapshots with 4 labeled snapshots of 2,000 guests and a current one."""
    columns = ", ".join(f"(i % 7)::double as {name}" for name in features.FEATURES)
    db = duckdb.connect()
    db.execute(
        f"""
        create table guest_feature_snapshots as
        select 'G' || lpad(i::varchar, 5, '0') as guest_id, snapshot_date, {columns},
               snapshot_date < date '2025-01-01' as is_labeled,
               case when snapshot_date < date '2025-01-01' then (i % 3 = 0)::int end as churned,
               case when snapshot_date < date '2025-01-01' then (i % 5) * 10.0 end
                   as future_revenue
        from range(2000) as guests(i),
             unnest([date '2024-01-01', date '2024-02-01', date '2024-03-01',
                     date '2024-04-01', date '2025-01-01']) as snapshots(snapshot_date)
        """
    )
    yield db
    db.close()


def test_counts_per_labeled_snapshot(con):
    assert features.labeled_counts(con) == {date: 2000 for date in DATES}
    assert features.current_count(con) == 2000


def test_plan_reads_small_snapshots_whole():
    plan = train.sample_plan({date: 2000 for date in DATES}, 2000, train_rows=100_000)
    assert set(plan.labeled.values()) == {1.0}
    assert plan.current == 1.0 and plan.btyd_fit == 1.0


def test_plan_bounds_training_evaluation_and_current_rows():
    counts = {date: 500_000 for date in DATES}
    plan = train.sample_plan(
        counts, 700_000, train_rows=100_000, eval_rows=50_000, current_guests=100_000
    )
    train_dates, calib, valid = DATES[:2], DATES[2], DATES[3]
    assert sum(plan.labeled[d] * counts[d] for d in train_dates) == pytest.approx(105_000)
    assert plan.labeled[calib] * counts[calib] == pytest.approx(52_500)
    assert plan.labeled[valid] * counts[valid] == pytest.approx(52_500)
    assert plan.current * 700_000 == pytest.approx(105_000)
    assert plan.btyd_fit * 700_000 == pytest.approx(train.BTYD_FIT_GUESTS * 1.05)


def test_sample_is_drawn_in_sql_per_snapshot_and_is_deterministic(con):
    fractions = {DATES[0]: 0.25, DATES[1]: 0.25, DATES[3]: 1.0}
    frame = features.load_labeled(con, fractions=fractions, seed=7)
    per_date = {
        d.astype(dt.date): int((frame.snapshot_date == d).sum())
        for d in np.unique(frame.snapshot_date)
    }
    assert set(per_date) == {DATES[0], DATES[1], DATES[3]}  # DATES[2] was not asked for
    assert per_date[DATES[3]] == 2000
    assert 350 < per_date[DATES[0]] < 650 and 350 < per_date[DATES[1]] < 650
    again = features.load_labeled(con, fractions=fractions, seed=7)
    assert again.guest_id.tolist() == frame.guest_id.tolist()
    other_seed = features.load_labeled(con, fractions=fractions, seed=8)
    assert other_seed.guest_id.tolist() != frame.guest_id.tolist()


def test_training_rows_are_drawn_per_row_not_per_guest(con):
    """Two snapshots' samples hold different guests: many guests once, not few guests twice."""
    frame = features.load_labeled(con, fractions={DATES[0]: 0.25, DATES[1]: 0.25}, seed=7)
    first = set(frame.guest_id[frame.snapshot_date == np.datetime64(DATES[0])])
    second = set(frame.guest_id[frame.snapshot_date == np.datetime64(DATES[1])])
    assert len(first & second) < 0.5 * min(len(first), len(second))


def test_smaller_samples_are_part_of_larger_ones(con):
    small = features.load_current(con, fraction=0.2, seed=3)
    large = features.load_current(con, fraction=0.6, seed=3)
    assert 0 < len(small) < len(large) < 2000
    assert set(small.guest_id) <= set(large.guest_id)
    assert len(features.load_current(con, fraction=1.0, seed=3)) == 2000


def _stays(guests: int = 3000, seed: int = 0) -> baseline.StayLog:
    """A BG/NBD-like stay log: Poisson stays at a guest's own rate until a dropout."""
    rng = np.random.default_rng(seed)
    ids, days = [], []
    for i in range(guests):
        day, rate, dropout = float(rng.integers(0, 700)), rng.gamma(2.0, 1 / 120), rng.beta(2, 6)
        while day < 1200:
            ids.append(f"G{i:05d}")
            days.append(int(day))
            if rng.random() < dropout:
                break
            day += rng.exponential(1 / rate)
    ids = np.array(ids, dtype=object)
    keys = dict(zip(sorted(set(ids)), rng.random(guests), strict=False))
    return baseline.StayLog(
        guest_id=ids,
        check_in=np.datetime64("2021-01-01") + np.array(days).astype("timedelta64[D]"),
        revenue=rng.gamma(2.0, 150.0, len(ids)),
        sample_key=np.array([keys[g] for g in ids]),
    )


@pytest.mark.parametrize("with_sample_key", [True, False])
def test_integer_codes_give_the_same_baseline_features_as_text_ids(with_sample_key):
    pytest.importorskip("scipy")
    stays = _stays()
    if not with_sample_key:  # as read for scoring or the report: every stay, no sample key
        stays = baseline.StayLog(stays.guest_id, stays.check_in, stays.revenue)
    dates = np.array(["2023-06-01", "2023-09-01"], dtype="datetime64[D]")
    ids = np.array([f"G{i:05d}" for i in range(0, 3000, 7)] + ["nobody"], dtype=object)
    frame = features.FeatureFrame(
        guest_id=np.tile(ids, 2),
        snapshot_date=np.repeat(dates, len(ids)),
        X=np.zeros((2 * len(ids), 0), dtype=np.float32),
        feature_names=(),
    )
    coded, _ = baseline.add_baseline_features(frame, stays, horizon_days=365)
    fit = None
    for date in dates:  # each month's search starts from the previous month's fit
        fit = baseline.fit_snapshot(stays, date, horizon_days=365, start=fit)
        rows = frame.snapshot_date == date
        np.testing.assert_allclose(coded.X[rows], baseline.align(fit, ids), rtol=1e-5)
    assert np.isnan(coded.X[frame.guest_id == "nobody"]).all()


def test_parameters_from_a_guest_sample_forecast_every_guest():
    pytest.importorskip("scipy")
    stays = _stays()
    full = baseline.fit_snapshot(stays, np.datetime64("2023-09-01"), horizon_days=365)
    sampled = baseline.fit_sampled(
        stays, np.datetime64("2023-09-01"), horizon_days=365, fit_fraction=0.5
    )
    assert sampled.ok
    assert sampled.guest_ids.tolist() == full.guest_ids.tolist()  # every guest is forecast
    assert sampled.bgnbd != full.bgnbd  # from the sample's own fit
    corr = np.corrcoef(sampled.values[:, 0], full.values[:, 0])[0, 1]
    assert corr > 0.99
