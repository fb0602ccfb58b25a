"""Lifecycle stages from the guest's own rhythm and P(alive) (models/lifecycle.py)."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.models import lifecycle

NAN = float("nan")
T = lifecycle.Thresholds()  # slip 1.5, lapse 2, lost 4 x the expected gap


def _stage(
    stays: float,
    recency: float,
    *,
    gap: float = 100.0,
    p_alive: float = 0.9,
    booked: float = 0.0,
    bad: bool = False,
    last_gap: float = NAN,
    gap_before: float = NAN,
    previous_p_alive: float | None = None,
    previous_stage: str | None = None,
    since: int | None = None,
) -> str:
    one = lambda value: np.array([value], dtype=np.float64)  # noqa: E731
    out = lifecycle.assign(
        stays_count=one(stays),
        days_since_last_stay=one(recency),
        forecast=lifecycle.ReturnForecast(expected_gap_days=one(gap), p_alive=one(p_alive)),
        thresholds=T,
        last_gap_days=one(last_gap),
        gap_before_last=one(gap_before),
        has_upcoming_booking=one(booked),
        bad_experience=np.array([bad]),
        previous_p_alive=None if previous_p_alive is None else one(previous_p_alive),
        previous_stage=None if previous_stage is None else np.array([previous_stage], object),
        days_since_previous_run=since,
    )
    return str(out.stage[0])


@pytest.mark.parametrize(
    ("kwargs", "stage"),
    [
        ({"stays": 0, "recency": NAN}, "prospect"),
        ({"stays": 1, "recency": 50}, "new"),
        ({"stays": 1, "recency": 140}, "new"),
        ({"stays": 1, "recency": 160}, "lapsed"),  # second stay 1.5 x overdue: no rhythm to slip
        ({"stays": 1, "recency": 60, "bad": True}, "slipping"),
        ({"stays": 4, "recency": 80}, "active"),
        ({"stays": 4, "recency": 160}, "slipping"),
        ({"stays": 4, "recency": 250}, "lapsed"),
        ({"stays": 4, "recency": 450}, "lost"),
        ({"stays": 4, "recency": 80, "p_alive": 0.2}, "lapsed"),
        ({"stays": 4, "recency": 80, "p_alive": 0.05}, "lost"),
        ({"stays": 1, "recency": 50, "p_alive": 0.05}, "new"),  # P(alive) says 1 for one stay
        ({"stays": 4, "recency": 450, "booked": 1}, "reactivated"),  # coming back
        ({"stays": 4, "recency": 160, "booked": 1}, "active"),
        ({"stays": 4, "recency": 30, "bad": True}, "slipping"),
        ({"stays": 4, "recency": 30, "last_gap": 400, "gap_before": 100}, "reactivated"),
        ({"stays": 4, "recency": 30, "last_gap": 150, "gap_before": 100}, "active"),
        (
            {"stays": 4, "recency": 30, "p_alive": 0.6, "previous_p_alive": 0.9, "since": 30},
            "slipping",
        ),
        (
            {"stays": 4, "recency": 20, "p_alive": 0.6, "previous_p_alive": 0.9, "since": 30},
            "active",
        ),
        ({"stays": 4, "recency": 10, "previous_stage": "lapsed", "since": 30}, "reactivated"),
    ],
)
def test_stages(kwargs, stage):
    assert _stage(**kwargs) == stage


def test_every_stage_is_one_of_the_seven():
    rng = np.random.default_rng(3)
    n = 2_000
    stays = rng.integers(0, 8, n).astype(float)
    recency = np.where(stays > 0, rng.uniform(0, 1500, n), np.nan)
    mean_gap = np.where(stays > 1, rng.uniform(20, 400, n), np.nan)
    typical = lifecycle.typical_gap_days(stays, mean_gap, default=365)
    forecast = lifecycle.rhythm_forecast(
        stays_count=stays, mean_gap_days=mean_gap, p_alive=rng.uniform(0, 1, n), typical_gap=typical
    )
    out = lifecycle.assign(
        stays_count=stays, days_since_last_stay=recency, forecast=forecast, thresholds=T
    )
    assert set(out.stage) <= set(lifecycle.STAGES)
    assert set(out.stage) >= {"prospect", "new", "active", "slipping", "lapsed", "lost"}
    has_stay = stays > 0
    # no sentinel values: every guest with a stay has a finite next stay and lapse date
    assert np.isfinite(out.next_stay_in_days[has_stay]).all()
    assert np.isfinite(out.lapses_in_days[has_stay]).all()
    assert np.isnan(out.lapses_in_days[~has_stay]).all()
    assert (out.days_overdue >= 0).all()
    lapsed = out.stage == "lapsed"
    assert (out.lapses_in_days[lapsed & (forecast.p_alive >= T.lapsed_p_alive)] <= 0).all()


def test_rhythm_shrinks_towards_the_typical_gap():
    forecast = lifecycle.rhythm_forecast(
        stays_count=np.array([1.0, 2.0, 11.0]),
        mean_gap_days=np.array([NAN, 30.0, 30.0]),
        p_alive=np.full(3, NAN),
        typical_gap=200.0,
    )
    assert forecast.expected_gap_days.tolist() == pytest.approx([200.0, 115.0, 500 / 11])


def test_typical_gap_falls_back_to_the_default_without_repeat_guests():
    assert lifecycle.typical_gap_days(np.ones(10), np.full(10, NAN), default=365) == 365


def test_value_at_risk_is_what_their_rhythm_would_bring_while_still_alive():
    value = lifecycle.value_at_risk(
        avg_stay_revenue=np.array([100.0, 100.0, NAN]),
        expected_gap_days=np.array([73.0, 73.0, 73.0]),
        p_alive=np.array([1.0, 0.5, NAN]),
        horizon_days=365,
    )
    assert value.tolist() == [500.0, 250.0, 0.0]


def test_recent_bad_experience_is_a_failure_at_the_latest_stay_within_the_window():
    bad = lifecycle.recent_bad_experience(
        # latest stay failed 60 d ago (twice: once with a detractor review); failed 200 d ago;
        # failed, then a promoter review; an earlier stay failed (came back); never; unknown
        days_since_last_stay=np.array([60.0, 60.0, 200.0, 60.0, 30.0, 60.0, NAN]),
        days_since_last_service_failure=np.array([60.0, 60.0, 200.0, 60.0, 300.0, NAN, 60.0]),
        last_nps=np.array([NAN, 3.0, NAN, 9.0, NAN, NAN, NAN]),
        within_days=120,
    )
    assert bad.tolist() == [True, True, False, False, False, False, False]


def test_bad_experience_waits_a_month_and_past_the_window_needs_an_engaged_guest():
    bad = lifecycle.recent_bad_experience(
        # failed stay 10 d ago (too soon to tell); 60 d; 150 d and engaged 5 d ago; 150 d,
        # quiet 100 d; 150 d, no engagement on record; 200 d, engaged (past every window)
        days_since_last_stay=np.array([10.0, 60.0, 150.0, 150.0, 150.0, 200.0]),
        days_since_last_service_failure=np.array([10.0, 60.0, 150.0, 150.0, 150.0, 200.0]),
        last_nps=np.full(6, NAN),
        within_days=90,
        min_days=30,
        days_since_last_engagement=np.array([2.0, 70.0, 5.0, 100.0, NAN, 1.0]),
        engaged_days=180,
        engaged_within_days=30,
    )
    assert bad.tolist() == [False, True, True, False, False, False]


def test_a_lapsed_guest_gone_quiet_is_lost():
    one = lambda *values: np.array(values, dtype=np.float64)  # noqa: E731
    out = lifecycle.assign(
        # lapsed by the gap: quiet 400 d, quiet 100 d, no engagement on record; quiet but active
        stays_count=one(4, 4, 4, 4),
        days_since_last_stay=one(250, 250, 250, 80),
        forecast=lifecycle.ReturnForecast(
            expected_gap_days=one(100, 100, 100, 100), p_alive=one(0.9, 0.9, 0.9, 0.9)
        ),
        thresholds=T,
        days_since_last_engagement=one(400, 100, NAN, 400),
    )
    assert out.stage.tolist() == ["lost", "lapsed", "lapsed", "active"]


def test_slipping_reason_names_the_strongest_sign():
    one = lambda *values: np.array(values, dtype=np.float64)  # noqa: E731
    out = lifecycle.assign(
        # overdue and unhappy; overdue only; P(alive) fell; in rhythm; unhappy but booked
        stays_count=one(4, 4, 4, 4, 4),
        days_since_last_stay=one(160, 160, 80, 80, 60),
        forecast=lifecycle.ReturnForecast(
            expected_gap_days=one(100, 100, 100, 100, 100), p_alive=one(0.9, 0.9, 0.5, 0.9, 0.9)
        ),
        thresholds=T,
        has_upcoming_booking=one(0, 0, 0, 0, 1),
        bad_experience=np.array([True, False, False, False, True]),
        previous_p_alive=one(0.9, 0.9, 0.9, 0.9, 0.9),
        days_since_previous_run=30,
    )
    assert out.stage.tolist() == ["slipping", "slipping", "slipping", "active", "active"]
    assert out.slipping_reason.tolist() == [
        "bad_experience",
        "overdue",
        "return_probability_fell",
        None,
        None,
    ]
