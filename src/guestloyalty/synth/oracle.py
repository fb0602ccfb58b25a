"""The oracle churn probability: the best forecast anyone could make without the future.

The oracle knows each person's latent rates and their state at ``as_of`` - active (with the
hazard after their last stay), disengaging, or dropped out - but not what happens next. It
gives the probability of **no stay with check-in in (as_of, as_of + H]**. Its AUC on a holdout
is the ceiling a churn model is measured against.

With ``r = trip_rate x honour_probability / 365.25`` (stays per day while active),
``h`` the hazard per day after the last stay on or before ``as_of``,
``r2 = DISENGAGED_TRIP_FACTOR x r`` and ``d = 1 / DISENGAGE_DAYS``:

* dropped out (``dropout_date <= as_of``): ``p = 1``;
* disengaging (``disengaged_date <= as_of < dropout_date``): stays come at rate ``r2`` until
  the exponential dropout, so ``p = 1 - r2 / (r2 + d) x (1 - exp(-(r2 + d) H))``;
* active: with ``a = r + h`` and ``c = r2 + d``, the probability of reaching ``H`` without a
  stay, summed over the three states the person can be in at ``H``::

      p = exp(-a H)                                             still active
        + h / (c - a) x (exp(-a H) - exp(-c H))                 disengaging
        + d h / (c - a) x ((1 - exp(-a H)) / a - (1 - exp(-c H)) / c)   dropped out

The hazard only changes at a stay, so it is constant until the first stay in the window,
which is all the question needs. Trip timing is a Poisson process and cancellations are
independent per trip, so honoured stays are Poisson with rate ``r`` (check-in days snap
forward up to three days to preferred weekdays, which the formula ignores). What the oracle
does not know, and a model may: bookings already on the books at ``as_of``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from guestloyalty.synth import params as P

DAYS_PER_YEAR = 365.25


def oracle_churn_probability(
    truth: pl.DataFrame, *, as_of: dt.date, horizon_days: int = 365
) -> pl.DataFrame:
    """Per profile of ``truth``: ``guest_id``, ``person_id``, ``state`` at ``as_of`` and
    ``churn_probability`` (no stay in (as_of, as_of + horizon_days]).

    ``truth`` is the frame :func:`guestloyalty.synth.truth.read_truth` returns. Profiles of
    people acquired after ``as_of`` are left out.
    """
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    known = truth.filter(pl.col("acquired_date") <= as_of)
    hazard = known.select(
        pl.col("hazard_days").list.eval(pl.element() <= pl.lit(as_of)).list.sum().alias("n_before"),
    )["n_before"].to_numpy()
    values = known["hazard_values"]
    last = pl.Series(
        "h", values.list.get(pl.Series(np.maximum(hazard - 1, 0)), null_on_oob=True)
    ).to_numpy()
    h = np.where(hazard > 0, last, known["base_hazard_per_year"].to_numpy()) / DAYS_PER_YEAR
    r = (
        known["trip_rate_per_year"].to_numpy()
        * known["honour_probability"].to_numpy()
        / DAYS_PER_YEAR
    )
    dis = known["disengaged_date"].to_numpy()
    drop = known["dropout_date"].to_numpy()
    as_of64 = np.datetime64(as_of, "D")
    dropped = ~np.isnat(drop) & (drop <= as_of64)
    disengaging = ~dropped & ~np.isnat(dis) & (dis <= as_of64)
    p = churn_probability(
        r, h, state=np.where(dropped, 2, np.where(disengaging, 1, 0)), horizon_days=horizon_days
    )
    return known.select("guest_id", "person_id").with_columns(
        state=pl.Series(
            np.array(["active", "disengaging", "dropped"])[
                np.where(dropped, 2, np.where(disengaging, 1, 0))
            ]
        ),
        churn_probability=pl.Series(p),
    )


def oracle_for_snapshot(
    truth: pl.DataFrame, *, snapshot_date: dt.date, horizon_days: int = 365
) -> pl.DataFrame:
    """The oracle in the warehouse's terms: ``snapshot_date`` is the exclusive cut-off of a
    row of ``guest_feature_snapshots`` (features before it, label over
    ``[snapshot_date, snapshot_date + horizon)``), i.e. ``as_of = snapshot_date - 1 day``."""
    return oracle_churn_probability(
        truth, as_of=snapshot_date - dt.timedelta(days=1), horizon_days=horizon_days
    )


def churn_probability(
    r: np.ndarray, h: np.ndarray, *, state: np.ndarray, horizon_days: int
) -> np.ndarray:
    """The formula of the module docstring; rates per day, state 0/1/2 = active/diseng./gone."""
    H = float(horizon_days)
    d = 1.0 / P.DISENGAGE_DAYS
    r2 = P.DISENGAGED_TRIP_FACTOR * r
    a = r + h
    c = r2 + d
    c = np.where(np.abs(c - a) < 1e-9, c + 1e-7, c)
    ea, ec = np.exp(-a * H), np.exp(-c * H)
    active = (
        ea
        + h / (c - a) * (ea - ec)
        + d * h / (c - a) * ((1 - ea) / np.maximum(a, 1e-12) - (1 - ec) / c)
    )
    disengaging = 1.0 - r2 / c * (1.0 - ec)
    p = np.where(state == 2, 1.0, np.where(state == 1, disengaging, active))
    return np.clip(p, 0.0, 1.0)
