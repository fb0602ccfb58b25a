"""Lifecycle stage of each guest at as_of: who is new, active, slipping, lapsed, lost or back.

Pure functions on arrays. The stage comes from when the guest's next stay is due (a
:class:`ReturnForecast`) and how likely they are still a customer (BG/NBD P(alive)), not
from fixed day counts:

- ``prospect`` — no stay yet (guests known from a profile or a booking only);
- ``new`` — one stay, the second not yet overdue (``new_lapse_ratio`` x the typical gap:
  a first-time guest has no rhythm of their own to slip from, so once the second stay is
  that overdue they are ``lapsed``);
- ``active`` — stays in rhythm, or has a booking ahead;
- ``slipping`` — still a customer but with a sign of drifting off, in order of strength
  (the first that applies is the guest's ``slipping_reason``):

  * ``bad_experience``: their latest stay had a service failure, no booking followed and
    their latest review is not a passive or promoter one, and the stay was between
    ``bad_experience_min_days`` and ``bad_experience_days`` ago, or up to
    ``bad_experience_engaged_days`` ago while they still opened, clicked or used the app
    or site in the last ``engaged_within_days`` (an unhappy guest drifts off within
    months: right after checkout silence says nothing yet, and one who also went quiet
    online after the window is more likely gone than going);
  * ``return_probability_fell``: their P(alive) fell since the last run by more than
    ``p_alive_drop`` without a stay in between;
  * ``overdue``: overdue against their own rhythm (``slip_ratio`` x the expected gap);
- ``lapsed`` — ``lapse_ratio`` x the expected gap without a stay, or P(alive) below
  ``lapsed_p_alive``;
- ``lost`` — ``lost_ratio`` x the expected gap, or P(alive) below ``lost_p_alive``, or
  lapsed and gone quiet: no open, click, session or social action for ``quiet_days``
  (guests with no engagement on record at all are judged by their stays alone);
- ``reactivated`` — back after lapsing: the gap before the latest stay (or a booking made
  while lapsed) was a lapse by the rhythm before it, and the guest is not overdue again.

The expected gap is the guest's own mean time between stays shrunk towards the typical gap
(``rhythm_prior_stays`` pseudo-gaps of it); one-stay guests get the typical gap. That is
:func:`rhythm_forecast`; a time-to-next-stay model that gives each guest an expected gap
produces the same :class:`ReturnForecast` and slots in unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Why a guest is ``slipping``, strongest sign first (an at-risk list works them in this order).
SLIPPING_REASONS: tuple[str, ...] = ("bad_experience", "return_probability_fell", "overdue")
STAGES: tuple[str, ...] = (
    "prospect",
    "new",
    "active",
    "slipping",
    "lapsed",
    "lost",
    "reactivated",
)
#: Stages of guests who are still customers (the base an at-risk list is sized against).
CUSTOMER_STAGES: tuple[str, ...] = ("new", "active", "slipping", "reactivated")


@dataclass(frozen=True)
class Thresholds:
    """The cut-offs of the stages (``Settings.lifecycle`` holds the configured ones)."""

    slip_ratio: float = 1.5
    lapse_ratio: float = 2.0
    lost_ratio: float = 4.0
    new_lapse_ratio: float = 1.5
    lapsed_p_alive: float = 0.3
    lost_p_alive: float = 0.1
    p_alive_drop: float = 0.15
    rhythm_prior_stays: float = 1.0
    bad_experience_min_days: float = 30.0
    bad_experience_days: float = 90.0
    bad_experience_engaged_days: float = 180.0
    engaged_within_days: float = 30.0
    quiet_days: float = 365.0


@dataclass(frozen=True)
class ReturnForecast:
    """When each guest's next stay is due and how likely they are still a customer.

    ``expected_gap_days``: days from the guest's last stay to the expected next one.
    ``p_alive``: P(still a customer) at as_of (NaN: unknown, e.g. a one-stay guest).
    """

    expected_gap_days: np.ndarray
    p_alive: np.ndarray


@dataclass(frozen=True)
class Lifecycle:
    """Each guest's stage and the dates that go with it, in days from as_of."""

    stage: np.ndarray  # object array of STAGES
    next_stay_in_days: np.ndarray  # expected next stay, days after as_of (< 0: overdue)
    lapses_in_days: np.ndarray  # lapsed from then on without a stay (< 0: already)
    days_overdue: np.ndarray  # int, >= 0
    slipping_reason: np.ndarray  # object: one of SLIPPING_REASONS for slipping guests, else None


def typical_gap_days(
    stays_count: np.ndarray, mean_gap_days: np.ndarray, *, default: float
) -> float:
    """The typical time between stays: median first-to-second gap of two-stay guests.

    Falls back to the median over all repeat guests when fewer than 30 have exactly two
    stays, and to ``default`` (the horizon) when fewer than 30 came back at all.
    """
    stays = np.nan_to_num(np.asarray(stays_count, dtype=np.float64))
    gaps = np.asarray(mean_gap_days, dtype=np.float64)
    for rows in (stays == 2, stays >= 2):
        known = rows & np.isfinite(gaps) & (gaps > 0)
        if known.sum() >= 30:
            return float(np.median(gaps[known]))
    return float(default)


def rhythm_forecast(
    *,
    stays_count: np.ndarray,
    mean_gap_days: np.ndarray,
    p_alive: np.ndarray,
    typical_gap: float,
    prior_stays: float = 1.0,
) -> ReturnForecast:
    """The guest's own rhythm: mean gap shrunk towards ``typical_gap`` by ``prior_stays``."""
    repeats = np.maximum(np.nan_to_num(np.asarray(stays_count, dtype=np.float64)) - 1.0, 0.0)
    own = np.asarray(mean_gap_days, dtype=np.float64)
    own = np.where(np.isfinite(own) & (repeats > 0), own, typical_gap)
    gap = (repeats * own + prior_stays * typical_gap) / (repeats + prior_stays)
    return ReturnForecast(
        expected_gap_days=np.maximum(gap, 1.0),
        p_alive=np.asarray(p_alive, dtype=np.float64),
    )


def gap_before_last_stay(
    *,
    stays_count: np.ndarray,
    days_since_first_stay: np.ndarray,
    days_since_last_stay: np.ndarray,
    last_gap_days: np.ndarray,
    typical_gap: float,
    prior_stays: float = 1.0,
) -> np.ndarray:
    """The expected gap by the rhythm *before* the latest stay (what its lateness is judged by).

    Guests with three or more stays: their mean gap over the stays before the latest one,
    shrunk like :func:`rhythm_forecast`; two-stay guests: the typical gap; NaN for one stay.
    """
    n = np.nan_to_num(np.asarray(stays_count, dtype=np.float64))
    span = (
        np.asarray(days_since_first_stay, dtype=np.float64)
        - np.asarray(days_since_last_stay, dtype=np.float64)
        - np.asarray(last_gap_days, dtype=np.float64)
    )
    earlier = np.maximum(n - 2.0, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(earlier > 0, span / np.maximum(earlier, 1.0), typical_gap)
    own = np.where(np.isfinite(own) & (own > 0), own, typical_gap)
    gap = (earlier * own + prior_stays * typical_gap) / (earlier + prior_stays)
    return np.where(n >= 2, np.maximum(gap, 1.0), np.nan)


def assign(
    *,
    stays_count: np.ndarray,
    days_since_last_stay: np.ndarray,
    forecast: ReturnForecast,
    thresholds: Thresholds,
    last_gap_days: np.ndarray | None = None,
    gap_before_last: np.ndarray | None = None,
    has_upcoming_booking: np.ndarray | None = None,
    bad_experience: np.ndarray | None = None,
    days_since_last_engagement: np.ndarray | None = None,
    previous_p_alive: np.ndarray | None = None,
    previous_stage: np.ndarray | None = None,
    days_since_previous_run: int | None = None,
) -> Lifecycle:
    """Stage, expected next stay, lapse date and days overdue of every guest (see module doc).

    ``previous_*`` come from the latest earlier run (NaN / None where a guest was not scored
    then); without them no guest slips on a fall of P(alive) and ``reactivated`` is judged
    from the gaps alone.
    """
    n = len(stays_count)
    stays = np.nan_to_num(np.asarray(stays_count, dtype=np.float64))
    recency = np.asarray(days_since_last_stay, dtype=np.float64)
    gap = np.asarray(forecast.expected_gap_days, dtype=np.float64)
    p_alive = np.asarray(forecast.p_alive, dtype=np.float64)
    t = thresholds
    booked = (
        np.zeros(n, dtype=bool)
        if has_upcoming_booking is None
        else np.nan_to_num(np.asarray(has_upcoming_booking, dtype=np.float64)) > 0
    )
    no_stay = (stays <= 0) | ~np.isfinite(recency)
    recency = np.where(np.isfinite(recency), recency, 0.0)
    overdue_ratio = recency / gap
    repeat = stays >= 2
    known_alive = repeat & np.isfinite(p_alive)  # BG/NBD says 1 for every one-stay guest

    lapse_ratio = np.where(repeat, t.lapse_ratio, t.new_lapse_ratio)
    lost = (overdue_ratio >= t.lost_ratio) | (known_alive & (p_alive < t.lost_p_alive))
    lapsed = ~lost & ((overdue_ratio >= lapse_ratio) | (known_alive & (p_alive < t.lapsed_p_alive)))
    if days_since_last_engagement is not None:
        quiet = np.asarray(days_since_last_engagement, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            gone_quiet = lapsed & np.isfinite(quiet) & (quiet >= t.quiet_days)
        lost |= gone_quiet
        lapsed &= ~gone_quiet
    fell = np.zeros(n, dtype=bool)
    if previous_p_alive is not None:
        before = np.asarray(previous_p_alive, dtype=np.float64)
        since = np.inf if days_since_previous_run is None else days_since_previous_run
        fell = known_alive & np.isfinite(before) & (before - p_alive > t.p_alive_drop)
        fell &= recency >= since  # no stay in between
    unhappy = np.zeros(n, dtype=bool)
    if bad_experience is not None:
        unhappy = np.asarray(bad_experience, dtype=bool)
    overdue_slip = overdue_ratio >= t.slip_ratio
    slipping = ~lost & ~lapsed & (overdue_slip | fell | unhappy)

    back = np.zeros(n, dtype=bool)
    if last_gap_days is not None and gap_before_last is not None:
        last_gap = np.asarray(last_gap_days, dtype=np.float64)
        before_gap = np.asarray(gap_before_last, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            back = repeat & np.isfinite(last_gap) & (last_gap >= t.lapse_ratio * before_gap)
    if previous_stage is not None and days_since_previous_run is not None:
        was_gone = np.isin(np.asarray(previous_stage, dtype=object), ["lapsed", "lost"])
        back |= was_gone & (recency < days_since_previous_run)

    stage = np.where(stays >= 2, "active", "new").astype(object)
    stage[back] = "reactivated"
    stage[slipping] = "slipping"
    stage[lapsed] = "lapsed"
    stage[lost] = "lost"
    # A booking ahead: coming back (after a lapse: reactivated), whatever the gap says.
    stage[booked & (lapsed | lost)] = "reactivated"
    stage[booked & slipping] = np.where(stays[booked & slipping] >= 2, "active", "new")
    stage[no_stay] = "prospect"
    reason = np.full(n, None, dtype=object)
    for name, sign in zip(SLIPPING_REASONS[::-1], (overdue_slip, fell, unhappy), strict=True):
        reason[sign] = name  # weakest first, so the strongest sign wins
    reason[stage != "slipping"] = None

    next_in = gap - recency
    lapses_in = lapse_ratio * gap - recency
    overdue = np.where(no_stay | booked, 0, np.maximum(np.floor(recency - gap), 0))
    return Lifecycle(
        stage=stage,
        next_stay_in_days=np.where(no_stay, np.nan, np.round(next_in)),
        lapses_in_days=np.where(no_stay, np.nan, np.round(lapses_in)),
        days_overdue=overdue.astype(np.int64),
        slipping_reason=reason,
    )


def recent_bad_experience(
    *,
    days_since_last_stay: np.ndarray,
    days_since_last_service_failure: np.ndarray,
    last_nps: np.ndarray,
    within_days: float,
    min_days: float = 0.0,
    days_since_last_engagement: np.ndarray | None = None,
    engaged_days: float | None = None,
    engaged_within_days: float = 30.0,
) -> np.ndarray:
    """The latest stay had a service failure, ``min_days`` to ``within_days`` ago, not forgiven.

    Forgiven: the guest's latest review is a passive or promoter one (NPS 7 or more), so the
    failure was put right or did not matter to them. A failure at an earlier stay that the
    guest came back after is not one either (they came back). With
    ``days_since_last_engagement`` and ``engaged_days``: also up to ``engaged_days`` after the
    stay while the guest's latest open, click, session or social action is at most
    ``engaged_within_days`` old (still there to win back; one quiet since is likelier gone).
    Missing values: no.
    """
    recency = np.asarray(days_since_last_stay, dtype=np.float64)
    failure = np.asarray(days_since_last_service_failure, dtype=np.float64)
    nps = np.asarray(last_nps, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        latest_failed = np.isfinite(failure) & (failure <= recency) & (recency >= min_days)
        window = recency <= within_days
        if days_since_last_engagement is not None and engaged_days is not None:
            quiet = np.asarray(days_since_last_engagement, dtype=np.float64)
            engaged = np.isfinite(quiet) & (quiet <= engaged_within_days)
            window |= engaged & (recency <= engaged_days)
        return latest_failed & window & ~(np.isfinite(nps) & (nps >= 7))


def value_at_risk(
    *,
    avg_stay_revenue: np.ndarray,
    expected_gap_days: np.ndarray,
    p_alive: np.ndarray,
    horizon_days: int,
) -> np.ndarray:
    """Horizon revenue if the guest stays a customer minus if they go (nothing), still to save.

    ``avg_stay_revenue x horizon / expected gap`` stays if they keep their rhythm, times
    P(alive) (what is already gone cannot be saved; unknown: 1). NaN revenue counts as 0.
    """
    revenue = np.nan_to_num(np.asarray(avg_stay_revenue, dtype=np.float64))
    stays = horizon_days / np.maximum(np.asarray(expected_gap_days, dtype=np.float64), 1.0)
    alive = np.clip(np.nan_to_num(np.asarray(p_alive, dtype=np.float64), nan=1.0), 0.0, 1.0)
    return np.round(np.maximum(revenue, 0.0) * stays * alive, 2)
