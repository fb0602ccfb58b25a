"""Time to next stay: a discrete-time hazard model learned from every period up to a cut-off.

The stay log is cut into periods of ``period_days`` going back from the cut-off. Every guest
with a stay before a period's start gives one row: features from the stays before the start,
label 1 when the guest stays within the period. Every period that has closed by the cut-off is
used, so the latest months of a growing, changing guest base are learned from, not only
snapshots one horizon old; a guest whose next stay has not happened yet is right-censored the
discrete-time way (the quiet periods count, the open one is not a label).

One model answers every horizon: walking a guest forward with no stay (recency grows, rates
fall), the hazards of the coming periods multiply into ``P(no stay within H)`` for any ``H``,
and into the expected date of the next stay (given a stay within two years).

Features travel across time: recency against the guest's own rhythm (days since the last stay
over the mean gap between stays), the share of tenure spent quiet, stays per year of tenure,
regularity of the gaps; not raw tenure, which only grows.

The *blend* variant boosts from the buy-till-you-die baseline: each row's base margin is the
log-odds of a stay in the period under BG/NBD (``BaselineParams``), so the trees learn what the
baseline gets wrong (a regular rhythm, recent change) instead of relearning what it gets right.

Pure functions on numpy arrays; xgboost is imported inside the functions that need it.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

#: Inputs of the hazard model, in the order the booster sees them.
SURVIVAL_FEATURES: tuple[str, ...] = (
    "stay_days",
    "days_since_last_stay",
    "recency_over_mean_gap",
    "quiet_share_of_tenure",
    "stays_per_year",
    "mean_gap_days",
    "last_gap_over_mean_gap",
    "gap_cv",
    "stays_per_year_last_365d",
    "mean_revenue_per_stay",
    "revenue_per_year",
)
#: The quiet path is walked this far ahead (P(no stay within H) for any H up to two years).
MAX_DAYS = 730
#: Rows the hazard model is trained on at most (a seeded random sample of guest-periods).
MAX_ROWS = 150_000
#: Periods held out at the end of the training window to stop boosting early.
STOPPING_PERIODS = 2

HAZARD_PARAMS: dict[str, object] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "max_depth": 4,
    "eta": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.9,
    "min_child_weight": 20,
    "lambda": 5.0,
    "tree_method": "hist",
    "max_bin": 128,
}
NUM_ROUNDS = 200
EARLY_STOPPING_ROUNDS = 20
_DAY = np.timedelta64(1, "D")


def period_days(horizon_days: int) -> int:
    """Period length for a horizon: about a twelfth of it, between one week and one month."""
    return int(min(31, max(7, round(horizon_days / 12))))


# ----------------------------------------------------------------------------------------------
# The stay log as guest-days
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayLog:
    """Stay days per guest, sorted by guest then day (several stays on a day are one)."""

    guest_ids: np.ndarray  # unique, sorted
    start: np.ndarray  # first row of each guest
    count: np.ndarray  # rows of each guest
    code: np.ndarray  # guest index of each row
    day: np.ndarray  # int64 days since 1970-01-01
    key: np.ndarray  # code * _SPAN + day, sorted (for prefix counts)
    cum_revenue: np.ndarray  # running revenue sum, with a leading 0
    cum_gap_sq: (
        np.ndarray
    )  # running sum of squared gaps to the previous day of the guest, leading 0

    @property
    def first_day(self) -> np.ndarray:
        return self.day[self.start]


_SPAN = np.int64(1 << 32)


def day_log(guest_id: np.ndarray, check_in: np.ndarray, revenue: np.ndarray) -> DayLog:
    """Collapse a stay log (aligned arrays) into sorted guest-days with summed revenue."""
    ids = np.asarray(guest_id)
    ids = ids if ids.dtype.kind in "iu" else ids.astype(str)
    guests, code = np.unique(ids, return_inverse=True)
    day = np.asarray(check_in, dtype="datetime64[D]").astype(np.int64)
    key = code.astype(np.int64) * _SPAN + (day - day.min() if len(day) else day)
    unique_key, inverse = np.unique(key, return_inverse=True)
    rev = np.bincount(
        inverse, weights=np.asarray(revenue, dtype=np.float64), minlength=len(unique_key)
    )
    code_u = (unique_key // _SPAN).astype(np.int64)
    day_u = unique_key % _SPAN + (day.min() if len(day) else 0)
    count = np.bincount(code_u, minlength=len(guests))
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    gap = np.zeros(len(day_u), dtype=np.float64)
    if len(day_u) > 1:
        same = code_u[1:] == code_u[:-1]
        gap[1:] = np.where(same, day_u[1:] - day_u[:-1], 0)
    return DayLog(
        guest_ids=guests,
        start=start,
        count=count,
        code=code_u,
        day=day_u.astype(np.int64),
        key=code_u * _SPAN + day_u,
        cum_revenue=np.concatenate([[0.0], np.cumsum(rev)]),
        cum_gap_sq=np.concatenate([[0.0], np.cumsum(gap**2)]),
    )


def _days(date: np.datetime64 | object) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


def _prefix(log: DayLog, guests: np.ndarray, before_day: np.ndarray | int) -> np.ndarray:
    """Stay days of each guest strictly before ``before_day``."""
    target = guests.astype(np.int64) * _SPAN + np.asarray(before_day, dtype=np.int64)
    return np.searchsorted(log.key, target, side="left") - log.start[guests]


@dataclass(frozen=True)
class Summary:
    """Each guest's history before a cut-off (guests with at least one stay day before it)."""

    guest: np.ndarray  # index into DayLog.guest_ids
    cutoff: int  # day
    n: np.ndarray
    first: np.ndarray
    last: np.ndarray
    previous: np.ndarray  # the day before the last one (== last when n == 1)
    revenue: np.ndarray
    gap_sq: np.ndarray


def summarize(log: DayLog, cutoff: int, guests: np.ndarray | None = None) -> Summary:
    """History before ``cutoff`` (a day number) of ``guests`` (default: all who stayed before)."""
    candidates = np.arange(len(log.guest_ids)) if guests is None else np.asarray(guests)
    candidates = candidates[log.first_day[candidates] < cutoff] if len(candidates) else candidates
    n = _prefix(log, candidates, cutoff)
    lo = log.start[candidates]
    last_row = lo + n - 1
    prev_row = np.maximum(last_row - 1, lo)
    return Summary(
        guest=candidates,
        cutoff=int(cutoff),
        n=n.astype(np.float64),
        first=log.day[lo].astype(np.float64),
        last=log.day[last_row].astype(np.float64),
        previous=log.day[prev_row].astype(np.float64),
        revenue=log.cum_revenue[last_row + 1] - log.cum_revenue[lo],
        # the first row's gap is 0 by construction, so the sum from lo is the guest's own
        gap_sq=log.cum_gap_sq[last_row + 1] - log.cum_gap_sq[lo],
    )


def design(log: DayLog, summary: Summary, at_day: int) -> np.ndarray:
    """Feature rows (``SURVIVAL_FEATURES``) at ``at_day`` >= the summary's cut-off, assuming no
    stay between the cut-off and ``at_day`` (the quiet path)."""
    s = summary
    tenure = np.maximum(at_day - s.first, 1.0)
    recency = at_day - s.last
    repeats = s.n - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_gap = np.where(repeats > 0, (s.last - s.first) / repeats, np.nan)
        gap_var = np.where(repeats > 1, s.gap_sq / repeats - mean_gap**2, np.nan)
        gap_cv = np.sqrt(np.maximum(gap_var, 0.0)) / mean_gap
        last_gap = np.where(repeats > 0, s.last - s.previous, np.nan)
        years = np.maximum(tenure, 30.0) / 365.25
        recent = s.n - np.minimum(_prefix(log, s.guest, at_day - 365), s.n)
        recent_years = np.minimum(np.maximum(tenure, 30.0), 365.0) / 365.25
        X = np.column_stack(
            [
                s.n,
                recency,
                recency / mean_gap,
                recency / tenure,
                s.n / years,
                mean_gap,
                last_gap / mean_gap,
                gap_cv,
                recent / recent_years,
                s.revenue / s.n,
                s.revenue / years,
            ]
        )
    return X.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# The baseline's hazard (the blend's starting point)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineParams:
    """BG/NBD parameters (time unit: ``unit_days``) whose period hazard the blend starts from."""

    bgnbd: object  # btyd.BGNBDParams
    unit_days: float = 7.0


def baseline_margin(base: BaselineParams, summary: Summary, at_day: int, period: int) -> np.ndarray:
    """Log-odds of a stay within ``period`` days of ``at_day`` under BG/NBD (quiet path).

    ``T`` runs to the day before ``at_day`` (the last day seen), as in the baseline's summary.
    """
    from guestloyalty.models import btyd

    u = base.unit_days
    p0 = btyd.prob_no_transaction(
        base.bgnbd,
        period / u,
        summary.n - 1.0,
        (summary.last - summary.first) / u,
        (at_day - 1 - summary.first) / u,
    )
    p = np.clip(1.0 - p0, 1e-6, 1.0 - 1e-6)
    return np.log(p / (1.0 - p))


# ----------------------------------------------------------------------------------------------
# Training rows and the model
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRows:
    """Guest-period rows: features at each period start, 1 when a stay fell in the period."""

    X: np.ndarray
    y: np.ndarray
    margin: np.ndarray | None
    period_index: np.ndarray  # 1 = the latest closed period before the cut-off


def period_rows(
    log: DayLog,
    cutoff: int,
    *,
    period: int,
    base: BaselineParams | None = None,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
    max_periods: int | None = None,
) -> PeriodRows:
    """Every closed period before ``cutoff`` (a day number), sampled down to ``max_rows``."""
    if len(log.day) == 0:
        empty = np.zeros((0, len(SURVIVAL_FEATURES)), dtype=np.float32)
        return PeriodRows(empty, np.zeros(0, np.float32), None, np.zeros(0, np.int64))
    earliest = int(log.day.min())
    starts = []
    j = 1
    while cutoff - j * period > earliest and (max_periods is None or j <= max_periods):
        starts.append((j, cutoff - j * period))
        j += 1
    if not starts:
        empty = np.zeros((0, len(SURVIVAL_FEATURES)), dtype=np.float32)
        return PeriodRows(empty, np.zeros(0, np.float32), None, np.zeros(0, np.int64))
    first = log.first_day
    eligible = np.array([(first < s).sum() for _, s in starts], dtype=np.float64)
    share = min(1.0, max_rows / max(eligible.sum(), 1.0))
    rng = np.random.default_rng(seed)
    blocks_x, blocks_y, blocks_m, blocks_j = [], [], [], []
    for j, s in starts:
        guests = np.flatnonzero(first < s)
        if share < 1.0:
            guests = guests[rng.random(len(guests)) < share]
        if len(guests) == 0:
            continue
        summary = summarize(log, s, guests)
        stayed = _prefix(log, summary.guest, s + period) > summary.n
        blocks_x.append(design(log, summary, s))
        blocks_y.append(stayed.astype(np.float32))
        if base is not None:
            blocks_m.append(baseline_margin(base, summary, s, period).astype(np.float32))
        blocks_j.append(np.full(len(guests), j, dtype=np.int64))
    return PeriodRows(
        X=np.vstack(blocks_x),
        y=np.concatenate(blocks_y),
        margin=np.concatenate(blocks_m) if base is not None else None,
        period_index=np.concatenate(blocks_j),
    )


@dataclass
class HazardModel:
    """A fitted hazard booster and what it needs to walk guests forward."""

    booster: object  # xgboost.Booster
    period: int
    blend: bool
    best_iteration: int
    train_rows: int

    def hazard(
        self,
        log: DayLog,
        summary: Summary,
        at_day: int,
        *,
        base: BaselineParams | None = None,
        threads: int = 1,
    ) -> np.ndarray:
        """P(a stay within one period of ``at_day``) for each guest of the summary."""
        import xgboost as xgb

        matrix = xgb.DMatrix(
            design(log, summary, at_day), feature_names=list(SURVIVAL_FEATURES), nthread=threads
        )
        if self.blend:
            if base is None:
                raise ValueError("a blend hazard model needs the baseline parameters")
            matrix.set_base_margin(baseline_margin(base, summary, at_day, self.period))
        return self.booster.predict(matrix, iteration_range=(0, self.best_iteration + 1)).astype(
            np.float64
        )


def fit_hazard(
    rows: PeriodRows, *, period: int, seed: int = 0, threads: int = 1
) -> HazardModel | None:
    """Fit the hazard booster; the latest ``STOPPING_PERIODS`` periods stop it early.

    None when the rows cannot train a model (too few, or one class only).
    """
    import xgboost as xgb

    if len(rows.y) < 200 or len(np.unique(rows.y)) < 2:
        return None
    hold = rows.period_index <= STOPPING_PERIODS
    if hold.all() or not hold.any() or len(np.unique(rows.y[~hold])) < 2:
        hold = np.zeros(len(rows.y), dtype=bool)
    names = list(SURVIVAL_FEATURES)

    def matrix(mask: np.ndarray):  # noqa: ANN202
        m = xgb.DMatrix(rows.X[mask], label=rows.y[mask], feature_names=names, nthread=threads)
        if rows.margin is not None:
            m.set_base_margin(rows.margin[mask])
        return m

    params = {**HAZARD_PARAMS, "seed": seed, "nthread": threads}
    if hold.any():
        booster = xgb.train(
            params,
            matrix(~hold),
            num_boost_round=NUM_ROUNDS,
            evals=[(matrix(hold), "latest")],
            early_stopping_rounds=EARLY_STOPPING_ROUNDS,
            verbose_eval=False,
        )
        best = int(booster.best_iteration)
    else:
        booster = xgb.train(params, matrix(np.ones(len(rows.y), bool)), num_boost_round=100)
        best = 99
    return HazardModel(
        booster=booster,
        period=period,
        blend=rows.margin is not None,
        best_iteration=best,
        train_rows=int((~hold).sum()),
    )


# ----------------------------------------------------------------------------------------------
# Forecasts
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """Each guest's P(no stay) after each step of the quiet path."""

    days: np.ndarray  # step ends, days after the cut-off
    survival: np.ndarray  # guests x steps: P(no stay within days[k])

    def p_no_stay(self, horizon_days: float) -> np.ndarray:
        """P(no stay within ``horizon_days``): log-linear between step ends."""
        days = np.concatenate([[0.0], self.days.astype(np.float64)])
        log_s = np.log(
            np.clip(np.column_stack([np.ones(len(self.survival)), self.survival]), 1e-12, 1.0)
        )
        h = float(min(max(horizon_days, 0.0), days[-1]))
        k = int(np.searchsorted(days, h, side="right") - 1)
        k = min(k, len(days) - 2)
        w = (h - days[k]) / (days[k + 1] - days[k])
        return np.exp(log_s[:, k] * (1 - w) + log_s[:, k + 1] * w)

    def expected_days_to_next_stay(self) -> np.ndarray:
        """Mean days to the next stay given one within the curve's span (NaN: almost none)."""
        s = np.column_stack([np.ones(len(self.survival)), self.survival])
        mass = s[:, :-1] - s[:, 1:]  # P(next stay in step k)
        ends = self.days.astype(np.float64)
        mid = ends - np.diff(np.concatenate([[0.0], ends])) / 2.0
        total = mass.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (mass * mid).sum(axis=1) / total
        return np.where(total > 1e-3, mean, np.nan)


def curve(
    model: HazardModel,
    log: DayLog,
    summary: Summary,
    *,
    max_days: int = MAX_DAYS,
    base: BaselineParams | None = None,
    threads: int = 1,
    workers: int | None = None,
) -> Curve:
    """Walk every guest of ``summary`` forward period by period with no stay.

    The steps' hazards do not depend on each other (the quiet path has no stay in between), so
    they are predicted ``workers`` at a time, each on ``threads`` threads (xgboost's predict
    is thread-safe and releases the GIL); the product runs in step order, so the curve is the
    same whatever ``workers``. Default: one per core, which busy cores do not slow further
    (no OpenMP threads spinning between calls, as ``threads`` > 1 would).
    """
    steps = int(np.ceil(max_days / model.period))
    survival = np.ones((len(summary.guest), steps))
    alive = np.ones(len(summary.guest))

    def hazard(k: int) -> np.ndarray:
        at = summary.cutoff + k * model.period
        return model.hazard(log, summary, at, base=base, threads=threads)

    workers = max(1, min(steps, workers or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for k, step_hazard in enumerate(pool.map(hazard, range(steps))):
            alive = alive * (1.0 - step_hazard)
            survival[:, k] = alive
    return Curve(days=(np.arange(1, steps + 1) * model.period).astype(np.int64), survival=survival)


# ----------------------------------------------------------------------------------------------
# Artifacts
# ----------------------------------------------------------------------------------------------


def model_bytes(model: HazardModel) -> bytes:
    """The booster as xgboost JSON (the ``survival.json`` / ``blend.json`` artifacts)."""
    return bytes(model.booster.save_raw("json"))  # type: ignore[attr-defined]


def model_meta(model: HazardModel) -> dict[str, object]:
    return {
        "period_days": model.period,
        "blend": model.blend,
        "best_iteration": model.best_iteration,
        "train_rows": model.train_rows,
        "features": list(SURVIVAL_FEATURES),
    }


def load_model(data: bytes, meta: dict[str, object]) -> HazardModel:
    """A hazard model from its artifact and :func:`model_meta` document."""
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(data))
    return HazardModel(
        booster=booster,
        period=int(meta["period_days"]),
        blend=bool(meta["blend"]),
        best_iteration=int(meta["best_iteration"]),
        train_rows=int(meta.get("train_rows", 0)),
    )
