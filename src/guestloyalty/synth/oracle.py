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
which is all the question needs. In a world with a shock (:mod:`guestloyalty.synth.change`)
the trip rates are ``f x r`` and ``f x r2`` inside it: the window is cut into pieces of
constant rate and the three-state chain is carried from one piece to the next (the same
formulas, started from the previous piece's state probabilities), which is still exact.
Trip timing is a Poisson process and cancellations are independent per trip, so honoured
stays are Poisson with rate ``r`` (check-in days snap forward up to three days to preferred
weekdays, which the formula ignores). What the oracle
does not know, and a model may: bookings already on the books at ``as_of``.

Past campaigns (:mod:`guestloyalty.synth.campaigns`): a trip an offer made someone take is
in the truth (``campaign_stay_days``), so a window holding one has ``p = 0``; a contacted
sleeping dog's dropout is in ``dropout_date`` (known once it is on or before ``as_of``; one
inside the window is the approximation left).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from guestloyalty.synth import params as P
from guestloyalty.synth.change import EPOCH, Change
from guestloyalty.synth.truth import CHANGE_COLUMNS

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
        r,
        h,
        state=np.where(dropped, 2, np.where(disengaging, 1, 0)),
        horizon_days=horizon_days,
        pieces=_shock_pieces(known, as_of, horizon_days),
    )
    if "campaign_stay_days" in known.columns:
        # a trip a campaign's offer made the person take (synth.campaigns) is a stay in the
        # window for sure: the hazard process does not know about offers
        first, last = as_of + dt.timedelta(days=1), as_of + dt.timedelta(days=horizon_days)
        persuaded = known.select(
            pl.col("campaign_stay_days")
            .list.eval((pl.element() >= first) & (pl.element() <= last))
            .list.any()
            .fill_null(False)
        ).to_series()
        p = np.where(persuaded.to_numpy(), 0.0, p)
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


def _shock_pieces(
    known: pl.DataFrame, as_of: dt.date, horizon_days: int
) -> list[tuple[float, np.ndarray | float]] | None:
    """The window's (days, each row's trip factor) pieces from the truth's shock columns."""
    if not set(CHANGE_COLUMNS) <= set(known.columns) or known.height == 0:
        return None
    shocks = known.select("shock_start", "shock_end").unique()
    if shocks.height != 1:
        raise ValueError(f"the truth holds {shocks.height} different shocks; expected one")
    start, end = shocks.row(0)
    if start is None or end is None:
        return None
    factor = known["shock_trip_factor"].to_numpy()
    # any factor below 1 makes a shock; the pieces only need its dates
    change = Change.of(shock_start=start, shock_end=end, shock_trip_factors=(0.0,) * 4)
    # check-in dates in (as_of, as_of + H]: trip times in [as_of + 1, as_of + 1 + H)
    window_start = float((as_of - EPOCH).days + 1)
    return [
        (length, factor if inside else 1.0)
        for length, inside in change.window_pieces(window_start, float(horizon_days))
    ]


def churn_probability(
    r: np.ndarray,
    h: np.ndarray,
    *,
    state: np.ndarray,
    horizon_days: int,
    pieces: list[tuple[float, np.ndarray | float]] | None = None,
) -> np.ndarray:
    """The formula of the module docstring; rates per day, state 0/1/2 = active/diseng./gone.

    ``pieces``: the window as consecutive (days, trip-rate factor: one, or one per person)
    pieces summing to ``horizon_days`` (default: one piece at factor 1).
    """
    pieces = pieces or [(float(horizon_days), 1.0)]
    if abs(sum(length for length, _ in pieces) - horizon_days) > 1e-6:
        raise ValueError("the pieces must cover the horizon exactly")
    # probabilities of (active, disengaging, dropped) with no stay so far
    active = (state == 0).astype(np.float64)
    disengaging = (state == 1).astype(np.float64)
    dropped = (state == 2).astype(np.float64)
    for length, factor in pieces:
        if length > 0:
            active, disengaging, dropped = _carry(
                active, disengaging, dropped, r * factor, h, length
            )
    return np.clip(active + disengaging + dropped, 0.0, 1.0)


def _carry(
    active: np.ndarray,
    disengaging: np.ndarray,
    dropped: np.ndarray,
    r: np.ndarray,
    h: np.ndarray,
    length: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """State probabilities (no stay yet) after ``length`` days at constant rates."""
    d = 1.0 / P.DISENGAGE_DAYS
    r2 = P.DISENGAGED_TRIP_FACTOR * r
    a = r + h
    c = r2 + d
    c = np.where(np.abs(c - a) < 1e-9, c + 1e-7, c)
    ea, ec = np.exp(-a * length), np.exp(-c * length)
    to_disengaging = h / (c - a) * (ea - ec)
    to_dropped = d * h / (c - a) * ((1 - ea) / np.maximum(a, 1e-12) - (1 - ec) / c)
    return (
        active * ea,
        disengaging * ec + active * to_disengaging,
        dropped + disengaging * d / c * (1.0 - ec) + active * to_dropped,
    )
