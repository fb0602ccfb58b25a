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
- **the rule**: a candidate is promoted for a task only when it is at least as good as the
  baseline at the latest origin it was scored on (churn: AUC above the baseline's; CLV: MAE,
  Spearman and top-10% capture all at least the baseline's, and at every earlier rolling
  origin too: those figures are heavy-tailed and noisy, so a switch away from the baseline
  needs every origin to agree); among those the best at the latest rolling origin wins, and
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


def score_rows(
    origin: Origin,
    churned: np.ndarray,
    revenue: np.ndarray,
    predictions: dict[str, tuple[np.ndarray, np.ndarray]],
) -> list[dict[str, object]]:
    """One row per candidate: churn AUC and CLV metrics on the same guests."""
    rows = []
    for name, (p_no_stay, clv) in predictions.items():
        p = np.where(np.isnan(p_no_stay), 1.0, p_no_stay)
        v = np.where(np.isnan(clv), 0.0, clv)
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
    return score_rows(origin, churned, revenue, predictions)


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


def beats_baseline(row: dict[str, object], base: dict[str, object], task: str) -> bool:
    """Churn: AUC above the baseline's. CLV: MAE, Spearman and top-10% capture all as good."""
    if task == "churn":
        return bool(np.isfinite(row["churn_auc"]) and row["churn_auc"] > base["churn_auc"])
    return bool(
        np.isfinite(row["spearman"])
        and row["mae"] <= base["mae"]
        and row["spearman"] >= base["spearman"]
        and row["capture_top10"] >= base["capture_top10"]
    )


def _holds_up(table: list[dict[str, object]], origin: str, name: str, task: str) -> bool:
    """The candidate is at least as good as the baseline at ``origin`` (or was not scored)."""
    rows = _at(table, origin)
    if name not in rows or "btyd" not in rows:
        return True
    return beats_baseline(rows[name], rows["btyd"], task)


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
                    why += f" (best {best}: {key} {latest[best][key]:.4f} vs {base[key]:.4f})"
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
        f"{'churn AUC':>9} {'CLV MAE':>10} {'Spearman':>8} {'top10%':>6}"
    ]
    for row in table:
        lines.append(
            f"{row['origin']:<11} {row['horizon_days']:>4} {row['kind']:<10} "
            f"{row['candidate']:<10} {row['guests']:>7} {row['churn_auc']:>9.4f} "
            f"{row['mae']:>10.3f} {row['spearman']:>8.4f} {row['capture_top10']:>6.3f}"
        )
    return "\n".join(lines)
