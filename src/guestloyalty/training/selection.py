"""Model selection by rolling-origin backtest: every candidate on the same guests, several origins.

A fixed-horizon classifier validated on a snapshot one horizon old can win there and lose
today. So ``train`` scores every candidate on several recent origins and promotes per task
(churn, CLV) the winner of the *latest* one:

- **origins**: ``cutoff - k * step`` (``step`` a third of the horizon, ``k = 1..ORIGINS``), each
  judged over ``min(horizon, cutoff - origin)`` days: the latest origin always takes part, with
  a shorter horizon where the full one cannot be observed yet. When the feature marts have a
  labeled validation snapshot, it is an origin too (full horizon, the classifier's guests);
- **candidates** refitted on the stays before each origin: ``btyd`` (BG/NBD x Gamma-Gamma),
  ``survival`` (the time-to-next-stay hazard model), ``blend`` (the hazard model boosted from
  the baseline's log-odds); and ``classifier`` (the xgboost churn/CLV pair) where it can be
  scored (the validation snapshot only: the marts hold no features at later origins);
- **the rule**: a candidate is promoted for a task only when it beats the baseline at the
  latest origin it was scored on (churn: AUC above the baseline's; CLV: MAE and top-10% capture
  at least the baseline's and Spearman above it by more than two standard errors of the
  paired gap, and at least as good on all three at every earlier rolling origin too). CLV's
  figures are heavy-tailed: on a few thousand guests a candidate that ranks 0.006 better at
  two origins captures less of the next year's revenue than the baseline (the changing world),
  so a switch away from the baseline, which ties with itself exactly, needs a win larger than
  the noise of the origin's guests. The standard error comes from a paired bootstrap of the
  guests (both scores on the same resample); churn AUC's is computed and shown too, with no
  margin: its wins hold up at the next origin;
  among those the best at the latest rolling origin wins, and
  the classifier replaces it only when it also beats it on the validation snapshot.
  Otherwise the baseline is the model, and the note says by how much.

Pure functions over the stay log and the candidates' predictions; no warehouse access.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.evaluation import metrics
from guestloyalty.models import stay_models
from guestloyalty.models.baseline import StayLog

#: Rolling origins per training run (the validation snapshot comes on top when there is one).
ORIGINS = 2
#: Guests scored per origin at most (a seeded sample): AUC to about +-0.006.
ORIGIN_MAX_GUESTS = 30_000
#: An origin needs at least this much stay history before it.
MIN_HISTORY_DAYS = 60
STAY_CANDIDATES: tuple[str, ...] = ("btyd", "survival", "blend")
CLV_METRICS: tuple[str, ...] = ("mae", "spearman", "capture_top10")
#: Paired bootstrap resamples behind each gap's standard error, and their size at most (the
#: error of n guests is the resample's times sqrt(size / n)).
BOOTSTRAP_ROUNDS = 100
BOOTSTRAP_SIZE = 5_000
#: Per task, how many standard errors of the gap a candidate must beat the baseline by.
NOISE_SE: dict[str, float] = {"churn": 0.0, "clv": 2.0}


@dataclass(frozen=True)
class Origin:
    date: np.datetime64  # exclusive cut-off: the models see stays before it
    horizon_days: int  # judged over [date, date + horizon_days)
    kind: str  # "rolling" or "validation"


def rolling_origins(
    cutoff: np.datetime64,
    first_stay: np.datetime64,
    horizon_days: int,
    *,
    count: int = ORIGINS,
    min_history_days: int = MIN_HISTORY_DAYS,
) -> list[Origin]:
    """The latest origins before ``cutoff``, newest first (fewer when history is short)."""
    cutoff = np.datetime64(cutoff, "D")
    step = max(int(np.ceil(horizon_days / 3)), 7)
    out = []
    for k in range(1, count + 1):
        date = cutoff - np.timedelta64(k * step, "D")
        if (date - np.datetime64(first_stay, "D")).astype(int) < min_history_days:
            break
        out.append(Origin(date, int(min(horizon_days, k * step)), "rolling"))
    return out


def outcomes(
    stays: StayLog, guest_ids: np.ndarray, origin: np.datetime64, horizon_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(churned: no stay in the window, revenue in the window) per guest id."""
    start = np.datetime64(origin, "D")
    inside = (stays.check_in >= start) & (
        stays.check_in < start + np.timedelta64(horizon_days, "D")
    )
    ids = np.asarray(guest_ids)
    ids = ids if ids.dtype.kind in "iu" else ids.astype(str)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    stay_ids = np.asarray(stays.guest_id[inside])
    stay_ids = stay_ids if stay_ids.dtype.kind in "iu" else stay_ids.astype(str)
    pos = np.clip(np.searchsorted(sorted_ids, stay_ids), 0, max(len(ids) - 1, 0))
    hit = sorted_ids[pos] == stay_ids if len(ids) else np.zeros(0, bool)
    count = np.bincount(order[pos[hit]], minlength=len(ids))
    revenue = np.bincount(order[pos[hit]], weights=stays.revenue[inside][hit], minlength=len(ids))
    return (count == 0).astype(np.float64), revenue.astype(np.float64)


def gap_se(
    metric,
    truth: np.ndarray,
    score: np.ndarray,
    base: np.ndarray,
    *,
    seed: int = 0,
    rounds: int = BOOTSTRAP_ROUNDS,
    size: int = BOOTSTRAP_SIZE,
) -> float:
    """Standard error of ``metric(truth, score) - metric(truth, base)`` over the guests, by a
    paired bootstrap (both scores on the same resample; ``size`` draws at most, scaled)."""
    n = len(truth)
    if n < 2:
        return float("nan")
    m = min(n, size)
    rng = np.random.default_rng(seed)
    gaps = []
    for _ in range(rounds):
        i = rng.integers(0, n, m)
        gaps.append(metric(truth[i], score[i]) - metric(truth[i], base[i]))
    gaps = np.asarray(gaps, dtype=np.float64)
    gaps = gaps[np.isfinite(gaps)]
    if len(gaps) < 2:
        return float("nan")
    return float(gaps.std(ddof=1) * np.sqrt(m / n))


def score_rows(
    origin: Origin,
    churned: np.ndarray,
    revenue: np.ndarray,
    predictions: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    seed: int = 0,
) -> list[dict[str, object]]:
    """One row per candidate: churn AUC and CLV metrics on the same guests, and the standard
    errors of its churn-AUC and Spearman gaps to the baseline (``btyd``) on them."""
    rows = []
    filled = {
        name: (np.where(np.isnan(p), 1.0, p), np.where(np.isnan(v), 0.0, v))
        for name, (p, v) in predictions.items()
    }
    base = filled.get("btyd")
    for name, (p, v) in filled.items():
        se = {"churn_auc_gap_se": 0.0, "spearman_gap_se": 0.0}
        if base is not None and name != "btyd":
            se = {
                "churn_auc_gap_se": gap_se(metrics.roc_auc, churned, p, base[0], seed=seed),
                "spearman_gap_se": gap_se(metrics.spearman, revenue, v, base[1], seed=seed),
            }
        rows.append(
            {
                "origin": str(origin.date),
                "horizon_days": origin.horizon_days,
                "kind": origin.kind,
                "candidate": name,
                "guests": int(len(churned)),
                "churn_auc": metrics.roc_auc(churned, p),
                "mae": metrics.mae(revenue, v),
                "spearman": metrics.spearman(revenue, v),
                "capture_top10": metrics.top_share_capture(revenue, v, share=0.1),
                "predicted_total": float(v.sum()),
                "actual_total": float(revenue.sum()),
                **se,
            }
        )
    return rows


def backtest_origin(
    stays: StayLog,
    origin: Origin,
    *,
    guest_ids: np.ndarray | None = None,
    extra: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    fit_fraction: float | None = None,
    seed: int = 0,
    threads: int = 1,
) -> list[dict[str, object]]:
    """Fit the stay candidates before ``origin`` and score them (and ``extra``) after it.

    ``guest_ids``: who is scored (default: a seeded sample of the guests with a stay before
    the origin); ``extra``: predictions of other candidates for those guests.
    """
    models = stay_models.fit_stay_models(
        stays,
        origin.date,
        horizon_days=origin.horizon_days,
        fit_fraction=fit_fraction,
        seed=seed,
        threads=threads,
        max_rows=stay_models.ORIGIN_MAX_ROWS,
    )
    if guest_ids is None:
        guest_ids = models.log.guest_ids
        if len(guest_ids) > ORIGIN_MAX_GUESTS:
            rng = np.random.default_rng(seed)
            guest_ids = np.sort(rng.choice(guest_ids, ORIGIN_MAX_GUESTS, replace=False))
    result = stay_models.forecast(
        models, guest_ids, horizon_days=origin.horizon_days, threads=threads
    )
    churned, revenue = outcomes(stays, guest_ids, origin.date, origin.horizon_days)
    predictions = {name: (result.p_no_stay[name], result.clv[name]) for name in result.p_no_stay}
    predictions.update(extra or {})
    return score_rows(origin, churned, revenue, predictions, seed=seed)


# ----------------------------------------------------------------------------------------------
# The choice
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    churn: str
    clv: str
    note: str
    by_task: dict[str, dict[str, object]]


def _at(table: list[dict[str, object]], origin: str) -> dict[str, dict[str, object]]:
    return {str(row["candidate"]): row for row in table if row["origin"] == origin}


def _noise(row: dict[str, object], task: str) -> float:
    """The margin over the baseline ``task``'s key needs: NOISE_SE standard errors of the
    row's gap (0: not known)."""
    se = row.get("churn_auc_gap_se" if task == "churn" else "spearman_gap_se")
    return NOISE_SE[task] * float(se) if se is not None and np.isfinite(float(se)) else 0.0


def beats_baseline(
    row: dict[str, object], base: dict[str, object], task: str, *, by_noise: bool = True
) -> bool:
    """Churn: AUC above the baseline's (by ``NOISE_SE``). CLV: Spearman above it by more than
    the noise, MAE and top-10% capture at least as good. ``by_noise=False``: at least as good
    on every figure (how an earlier origin confirms a win)."""
    if task == "churn":
        margin = _noise(row, "churn") if by_noise else 0.0
        return bool(np.isfinite(row["churn_auc"]) and row["churn_auc"] > base["churn_auc"] + margin)
    margin = _noise(row, "clv") if by_noise else 0.0
    gap = row["spearman"] - base["spearman"]
    ranks = gap > margin if margin else gap >= 0
    return bool(
        np.isfinite(row["spearman"])
        and ranks
        and row["mae"] <= base["mae"]
        and row["capture_top10"] >= base["capture_top10"]
    )


def _holds_up(table: list[dict[str, object]], origin: str, name: str, task: str) -> bool:
    """The candidate is at least as good as the baseline at ``origin`` (or was not scored)."""
    rows = _at(table, origin)
    if name not in rows or "btyd" not in rows:
        return True
    return beats_baseline(rows[name], rows["btyd"], task, by_noise=False)


def _better(row: dict[str, object], other: dict[str, object], task: str) -> bool:
    key = "churn_auc" if task == "churn" else "spearman"
    return bool(row[key] > other[key])


def choose(table: list[dict[str, object]]) -> Choice:
    """Per task, the promoted candidate (see the module docstring) and why."""
    rolling = sorted({str(r["origin"]) for r in table if r["kind"] == "rolling"})
    validation = sorted({str(r["origin"]) for r in table if r["kind"] == "validation"})
    picks: dict[str, str] = {}
    notes: list[str] = []
    by_task: dict[str, dict[str, object]] = {}
    for task in ("churn", "clv"):
        key = "churn_auc" if task == "churn" else "spearman"
        winner, why = "btyd", "no origin could be scored"
        if rolling:
            latest = _at(table, rolling[-1])
            base = latest["btyd"]
            eligible = [
                name
                for name, row in latest.items()
                if name != "btyd" and beats_baseline(row, base, task)
            ]
            # CLV's figures are heavy-tailed and noisy: every rolling origin must agree
            lagging = {
                name: origin
                for name in eligible
                for origin in rolling[:-1]
                if task == "clv" and not _holds_up(table, origin, name, task)
            }
            eligible = [name for name in eligible if name not in lagging]
            if eligible:
                winner = max(eligible, key=lambda name: latest[name][key])
                why = (
                    f"{winner} beats the baseline at the latest origin {rolling[-1]} "
                    f"({key} {latest[winner][key]:.4f} vs {base[key]:.4f})"
                )
                if task == "clv" and len(rolling) > 1:
                    why += " and at every earlier origin"
            elif lagging:
                name, origin = next(iter(lagging.items()))
                why = (
                    f"{name} beats the baseline at the latest origin {rolling[-1]} "
                    f"({key} {latest[name][key]:.4f} vs {base[key]:.4f}) but not at {origin}; "
                    "the baseline is the model"
                )
            else:
                best = max(
                    (name for name in latest if name != "btyd"),
                    key=lambda name: latest[name][key],
                    default=None,
                )
                why = "no candidate beats the baseline at the latest origin " + rolling[-1]
                if best is not None:
                    why += (
                        f" (best {best}: {key} {latest[best][key]:.4f} vs {base[key]:.4f}, "
                        f"margin {_noise(latest[best], task):.4f})"
                    )
        if validation and "classifier" in _at(table, validation[-1]):
            at_valid = _at(table, validation[-1])
            clf = at_valid["classifier"]
            rival = at_valid.get(winner, at_valid.get("btyd"))
            if (
                "btyd" in at_valid
                and beats_baseline(clf, at_valid["btyd"], task)
                and (winner == "btyd" or _better(clf, rival, task))
            ):
                rivals = "the baseline" if winner == "btyd" else f"the baseline and {winner}"
                why = (
                    f"classifier beats {rivals} on the validation snapshot "
                    f"{validation[-1]} ({key} {clf[key]:.4f} vs {rival[key]:.4f})"
                )
                winner = "classifier"
        picks[task] = winner
        notes.append(f"{task}: {why}")
        by_task[task] = {"candidate": winner, "why": why}
    return Choice(churn=picks["churn"], clv=picks["clv"], note="; ".join(notes), by_task=by_task)


def render(table: list[dict[str, object]]) -> str:
    """The per-origin table as text (``status`` and logs)."""
    lines = [
        f"{'origin':<11} {'days':>4} {'kind':<10} {'candidate':<10} {'guests':>7} "
        f"{'churn AUC':>9} {'+-':>6} {'CLV MAE':>10} {'Spearman':>8} {'+-':>6} {'top10%':>6}"
    ]
    for row in table:
        lines.append(
            f"{row['origin']:<11} {row['horizon_days']:>4} {row['kind']:<10} "
            f"{row['candidate']:<10} {row['guests']:>7} {row['churn_auc']:>9.4f} "
            f"{float(row.get('churn_auc_gap_se', 0.0)):>6.4f} {row['mae']:>10.3f} "
            f"{row['spearman']:>8.4f} {float(row.get('spearman_gap_se', 0.0)):>6.4f} "
            f"{row['capture_top10']:>6.3f}"
        )
    return "\n".join(lines)
