"""The oracle churn probability against Monte-Carlo runs of the world's own process."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from guestloyalty.synth import params as P
from guestloyalty.synth.oracle import (
    churn_probability,
    oracle_churn_probability,
    oracle_for_snapshot,
)
from guestloyalty.synth.world import WorldSpec, changing, generate_world

AS_OF = dt.date(2023, 12, 31)
HORIZON = 365


def _simulate_first_stay(rng, r, h, state, horizon):
    """Time of the first stay (inf: none) of the active -> disengaging -> dropped chain."""
    n = r.size
    d = 1.0 / P.DISENGAGE_DAYS
    r2 = P.DISENGAGED_TRIP_FACTOR * r
    first = np.full(n, np.inf)
    t = np.zeros(n)
    # active: stay at rate r or leave at rate h
    act = state == 0
    stay = rng.exponential(1.0, n) / np.maximum(r, 1e-12)
    leave = rng.exponential(1.0, n) / np.maximum(h, 1e-12)
    first[act & (stay < leave)] = stay[act & (stay < leave)]
    t = np.where(act & (leave <= stay), leave, 0.0)
    dis = (state == 1) | (act & (leave <= stay))
    stay2 = t + rng.exponential(1.0, n) / np.maximum(r2, 1e-12)
    gone = t + rng.exponential(1.0, n) / d
    hit = dis & (stay2 < gone)
    first[hit] = stay2[hit]
    return first


@pytest.mark.parametrize("state", [0, 1, 2])
def test_formula_matches_monte_carlo_of_the_state_chain(state):
    rng = np.random.default_rng(3)
    n = 200_000
    r = rng.gamma(1.0, 2.0 / 365, n)
    h = rng.gamma(1.0, 0.5 / 365, n)
    states = np.full(n, state)
    simulated = _simulate_first_stay(rng, r, h, states, HORIZON) > HORIZON
    predicted = churn_probability(r, h, state=states, horizon_days=HORIZON)
    assert abs(simulated.mean() - predicted.mean()) < 0.005
    bins = np.digitize(predicted, [0.2, 0.4, 0.6, 0.8])
    for b in np.unique(bins):
        sel = bins == b
        if sel.sum() > 2_000:
            assert abs(simulated[sel].mean() - predicted[sel].mean()) < 0.02


def test_dropped_out_guests_are_certain_churners():
    p = churn_probability(
        np.array([0.01]), np.array([0.001]), state=np.array([2]), horizon_days=HORIZON
    )
    assert p[0] == 1.0


def test_probability_falls_with_trip_rate_and_rises_with_hazard():
    r = np.array([0.001, 0.01, 0.001])
    h = np.array([0.001, 0.001, 0.01])
    p = churn_probability(r, h, state=np.zeros(3), horizon_days=HORIZON)
    assert p[1] < p[0] < p[2]


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldSpec(guests=12_000, seed=5, dirty_rate=0.0))


def _observed_churn(world, as_of, horizon):
    """Per person with a stay on or before as_of: no stay in (as_of, as_of + horizon]."""
    persons = world.truth.select("guest_id", "person_id")
    stays = world.frames["stays"].join(persons, on="guest_id").select("person_id", "check_in_date")
    before = stays.filter(pl.col("check_in_date") <= as_of)["person_id"].unique()
    after = stays.filter(
        (pl.col("check_in_date") > as_of)
        & (pl.col("check_in_date") <= as_of + dt.timedelta(days=horizon))
    )["person_id"].unique()
    return pl.DataFrame({"person_id": before}).with_columns(
        churned=~pl.col("person_id").is_in(after.implode())
    )


def test_oracle_is_calibrated_on_the_generated_world(world):
    observed = _observed_churn(world, AS_OF, HORIZON)
    oracle = (
        oracle_churn_probability(world.truth, as_of=AS_OF, horizon_days=HORIZON)
        .unique("person_id")
        .join(observed, on="person_id")
    )
    assert oracle.height == observed.height
    assert abs(oracle["churned"].mean() - oracle["churn_probability"].mean()) < 0.02
    binned = (
        oracle.with_columns(
            bin=(pl.col("churn_probability") * 4).floor().clip(0, 3)
            + (pl.col("churn_probability") >= 0.999).cast(pl.Float64)
        )
        .group_by("bin")
        .agg(pl.len(), pl.col("churned").mean(), pl.col("churn_probability").mean())
    )
    for row in binned.filter(pl.col("len") > 300).iter_rows(named=True):
        assert abs(row["churned"] - row["churn_probability"]) < 0.05, row


def test_people_who_dropped_out_never_come_back(world):
    observed = _observed_churn(world, AS_OF, HORIZON)
    oracle = oracle_churn_probability(world.truth, as_of=AS_OF, horizon_days=HORIZON)
    dropped = oracle.filter(pl.col("state") == "dropped").join(observed, on="person_id")
    assert dropped.height > 0
    assert dropped["churned"].all()


def test_oracle_leaves_out_people_not_yet_acquired(world):
    early = oracle_churn_probability(world.truth, as_of=dt.date(2021, 6, 30), horizon_days=90)
    assert early.height < world.truth.height
    assert early["churn_probability"].is_between(0, 1).all()


def test_oracle_rejects_a_non_positive_horizon(world):
    with pytest.raises(ValueError, match="horizon"):
        oracle_churn_probability(world.truth, as_of=AS_OF, horizon_days=0)


def test_snapshot_dates_are_the_day_after_as_of(world):
    by_snapshot = oracle_for_snapshot(
        world.truth, snapshot_date=AS_OF + dt.timedelta(days=1), horizon_days=HORIZON
    )
    by_as_of = oracle_churn_probability(world.truth, as_of=AS_OF, horizon_days=HORIZON)
    assert by_snapshot.equals(by_as_of)


def _simulate_piecewise(rng, r, h, pieces, horizon):
    """No stay within ``horizon`` in the chain whose trip rates change by piece (thinning)."""
    n = r.size
    d = 1.0 / P.DISENGAGE_DAYS
    bounds = np.cumsum([0.0] + [length for length, _ in pieces])
    factor_max = max(float(np.max(f)) for _, f in pieces)
    # candidate trips at the top rate, kept with probability factor / factor_max
    top = r * max(factor_max, 1e-12)
    leave = rng.exponential(1.0, n) / np.maximum(h, 1e-12)
    gone = leave + rng.exponential(1.0, n) / d
    t = np.zeros(n)
    no_stay = np.ones(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        rate = np.where(t < leave, top, P.DISENGAGED_TRIP_FACTOR * top)
        step = rng.exponential(1.0, n) / np.maximum(rate, 1e-12)
        # a candidate drawn at the active rate past the start of disengagement is redrawn
        crosses = (t < leave) & (t + step >= leave)
        t = np.where(crosses, leave, t + step)
        alive &= (t < horizon) & (t < gone)
        which = np.clip(np.searchsorted(bounds, t, side="right") - 1, 0, len(pieces) - 1)
        factor = np.choose(which, [np.broadcast_to(f, n) for _, f in pieces])
        kept = ~crosses & (rng.random(n) < factor / max(factor_max, 1e-12))
        no_stay &= ~(alive & kept)
        alive &= no_stay
    return no_stay


def test_piecewise_formula_matches_monte_carlo_of_a_shock():
    rng = np.random.default_rng(4)
    n = 100_000
    r = rng.gamma(1.0, 3.0 / 365, n)
    h = rng.gamma(1.0, 0.5 / 365, n)
    factor = np.where(rng.random(n) < 0.5, 0.15, 0.7)  # per person, as in the changing world
    pieces = [(100.0, 1.0), (180.0, factor), (85.0, 1.0)]
    simulated = _simulate_piecewise(rng, r, h, pieces, HORIZON)
    predicted = churn_probability(
        r, h, state=np.zeros(n, dtype=int), horizon_days=HORIZON, pieces=pieces
    )
    stationary = churn_probability(r, h, state=np.zeros(n, dtype=int), horizon_days=HORIZON)
    assert abs(simulated.mean() - predicted.mean()) < 0.006
    assert predicted.mean() > stationary.mean() + 0.03  # the shock matters
    for low in (0.0, 0.3, 0.6):
        sel = (predicted >= low) & (predicted < low + 0.3)
        assert abs(simulated[sel].mean() - predicted[sel].mean()) < 0.02


def test_pieces_must_cover_the_horizon():
    with pytest.raises(ValueError, match="cover the horizon"):
        churn_probability(
            np.ones(1), np.ones(1), state=np.zeros(1), horizon_days=10, pieces=[(5.0, 1.0)]
        )


@pytest.fixture(scope="module")
def changing_world():
    return generate_world(changing(WorldSpec(guests=12_000, seed=5, dirty_rate=0.0)))


@pytest.mark.parametrize(
    "as_of",
    [dt.date(2023, 12, 31), dt.date(2024, 3, 31), dt.date(2024, 12, 31)],
    ids=["window-in-shock", "window-across-its-end", "after-it"],
)
def test_oracle_is_calibrated_on_the_changing_world(changing_world, as_of):
    observed = _observed_churn(changing_world, as_of, HORIZON)
    oracle = (
        oracle_churn_probability(changing_world.truth, as_of=as_of, horizon_days=HORIZON)
        .unique("person_id")
        .join(observed, on="person_id")
    )
    assert oracle.height == observed.height > 2_000
    assert abs(oracle["churned"].mean() - oracle["churn_probability"].mean()) < 0.02
    binned = (
        oracle.with_columns(bin=(pl.col("churn_probability") * 4).floor().clip(0, 3))
        .group_by("bin")
        .agg(pl.len(), pl.col("churned").mean(), pl.col("churn_probability").mean())
    )
    for row in binned.filter(pl.col("len") > 300).iter_rows(named=True):
        assert abs(row["churned"] - row["churn_probability"]) < 0.05, row


def test_the_stationary_oracle_would_be_wrong_in_the_shock(changing_world):
    as_of = dt.date(2023, 12, 31)
    observed = _observed_churn(changing_world, as_of, HORIZON)

    def gap(truth):
        oracle = (
            oracle_churn_probability(truth, as_of=as_of, horizon_days=HORIZON)
            .unique("person_id")
            .join(observed, on="person_id")
        )
        return abs(oracle["churned"].mean() - oracle["churn_probability"].mean())

    naive = changing_world.truth.drop("shock_start", "shock_end", "shock_trip_factor")
    assert gap(changing_world.truth) < 0.01 < gap(naive) - 0.01
