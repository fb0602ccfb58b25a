"""The stay-log candidates fitted at one cut-off, and their forecasts for any horizon.

Three candidates need nothing but the stay log (guest, check-in date, revenue): the baseline
(BG/NBD x Gamma-Gamma, :mod:`guestloyalty.models.baseline`), the time-to-next-stay hazard
model and its blend with the baseline (:mod:`guestloyalty.models.survival`). Training fits
them at each backtest origin and at the current cut-off; scoring applies the saved ones.

The hazard models' CLV: P(a stay within the horizon) from the hazard model, times the
baseline's expected stays given at least one, times its expected spend per stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guestloyalty.models import baseline, survival
from guestloyalty.models.baseline import StayLog

#: Guest-period rows the hazard models are fitted on at a backtest origin (final fit:
#: ``survival.MAX_ROWS``).
ORIGIN_MAX_ROWS = 60_000


def before(stays: StayLog, cutoff: np.datetime64) -> StayLog:
    """The stays strictly before ``cutoff``."""
    return stays.subset(stays.check_in < np.datetime64(cutoff, "D"))


@dataclass
class StayModels:
    """Everything fitted on the stays before one cut-off: baseline, hazard and blend."""

    cutoff: np.datetime64
    horizon_days: int
    log: survival.DayLog
    fit: baseline.SnapshotFit
    base: survival.BaselineParams | None
    hazard: dict[str, survival.HazardModel] = field(default_factory=dict)


def fit_stay_models(
    stays: StayLog,
    cutoff: np.datetime64,
    *,
    horizon_days: int,
    fit_fraction: float | None = None,
    seed: int = 0,
    threads: int = 1,
    max_rows: int = ORIGIN_MAX_ROWS,
    fit: baseline.SnapshotFit | None = None,
) -> StayModels:
    """Fit the stay-log candidates on the history before ``cutoff`` (``fit``: the baseline's,
    when the caller has it already)."""
    cutoff = np.datetime64(cutoff, "D")
    history = before(stays, cutoff)
    if fit is None:
        fit = baseline.fit_sampled(
            history, cutoff, horizon_days=horizon_days, fit_fraction=fit_fraction
        )
    log = survival.day_log(history.guest_id, history.check_in, history.revenue)
    base = survival.BaselineParams(fit.bgnbd, baseline.UNIT_DAYS) if fit.ok else None
    period = survival.period_days(horizon_days)
    day = survival._days(cutoff)
    models = StayModels(cutoff, horizon_days, log, fit, base)
    for name, margin in (("survival", None), ("blend", base)):
        if name == "blend" and base is None:
            continue
        rows = survival.period_rows(
            log, day, period=period, base=margin, max_rows=max_rows, seed=seed
        )
        model = survival.fit_hazard(rows, period=period, seed=seed, threads=threads)
        if model is not None:
            models.hazard[name] = model
    return models


@dataclass(frozen=True)
class StayForecast:
    """Per guest (aligned with the ids asked for): each candidate's churn score and CLV."""

    guest_ids: np.ndarray
    p_no_stay: dict[str, np.ndarray]
    clv: dict[str, np.ndarray]
    curves: dict[str, survival.Curve]
    known: np.ndarray  # the guest had a stay before the cut-off


def forecast(
    models: StayModels,
    guest_ids: np.ndarray,
    *,
    horizon_days: int,
    max_days: int | None = None,
    threads: int = 1,
) -> StayForecast:
    """Every stay-log candidate's P(no stay within ``horizon_days``) and CLV for ``guest_ids``.

    The hazard models' CLV: P(a stay within the horizon) from the hazard model times the
    baseline's expected stays given at least one, times its expected spend per stay.
    """
    n = len(guest_ids)
    btyd_values = baseline.align(models.fit, guest_ids)
    if models.fit.ok and horizon_days != models.horizon_days:
        refit = baseline.fit_snapshot(
            _log_as_stays(models.log),
            models.cutoff,
            horizon_days=horizon_days,
            bgnbd=models.fit.bgnbd,
            gamma_gamma=models.fit.gamma_gamma,
        )
        btyd_values = baseline.align(refit, guest_ids)
    p0_b, stays_b, spend_b = btyd_values[:, 0], btyd_values[:, 1], btyd_values[:, 2]
    p_no_stay = {"btyd": p0_b}
    clv = {"btyd": spend_b}
    with np.errstate(invalid="ignore", divide="ignore"):
        per_stay = np.where(stays_b > 0, spend_b / stays_b, 0.0)
        given_one = stays_b / np.maximum(1.0 - p0_b, 1e-9)
    index = _guest_index(models.log, guest_ids)
    known = index >= 0
    summary = survival.summarize(models.log, survival._days(models.cutoff), index[known])
    curves = {}
    for name, model in models.hazard.items():
        curve = survival.curve(
            model,
            models.log,
            summary,
            max_days=max(horizon_days, max_days or horizon_days),
            base=models.base,
            threads=threads,
        )
        p = np.full(n, np.nan)
        p[known] = curve.p_no_stay(horizon_days)
        p_no_stay[name] = p
        clv[name] = (1.0 - p) * given_one * per_stay
        curves[name] = curve
    return StayForecast(
        guest_ids=np.asarray(guest_ids), p_no_stay=p_no_stay, clv=clv, curves=curves, known=known
    )


def _guest_index(log: survival.DayLog, guest_ids: np.ndarray) -> np.ndarray:
    """Position of each id in ``log.guest_ids`` (-1: no stay before the cut-off)."""
    ids = np.asarray(guest_ids)
    ids = ids if ids.dtype.kind in "iu" else ids.astype(str)
    if len(log.guest_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.clip(np.searchsorted(log.guest_ids, ids), 0, len(log.guest_ids) - 1)
    return np.where(log.guest_ids[pos] == ids, pos, -1).astype(np.int64)


def _log_as_stays(log: survival.DayLog) -> StayLog:
    revenue = np.diff(log.cum_revenue)
    return StayLog(
        guest_id=log.guest_ids[log.code],
        check_in=log.day.astype("datetime64[D]"),
        revenue=revenue,
    )
