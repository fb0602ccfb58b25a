"""Honest evaluation: train and score as of a past date, then compare with what happened.

``guestloyalty backtest [--as-of D] [--horizon-days H]``:

1. builds silver and gold as of ``D`` (default: one horizon before the last stay in the data)
   in a scratch data directory that reads the real bronze, so nothing published is touched;
2. trains and scores there exactly as the nightly run would (models see nothing after ``D``);
3. takes what really happened in ``(D, D + H]`` from silver — churned = no check-in, value =
   revenue — for every guest scored, and measures the models next to the buy-till-you-die
   baseline: churn AUC, PR-AUC, Brier, log-loss; CLV MAE, Spearman, top-10% revenue capture,
   normalised Gini, totals;
4. when the data are a synthetic world with its truth file, adds the oracle's churn AUC (the
   best anyone could do without the future) and the model's share of it;
5. learns the recommendations as of ``D`` too and judges them on each returning guest's first
   stay after it: hit@3 and NDCG@5 of its property and room type, AUC of each extra bought on
   it, next to the most-popular and last-time baselines (and, on a synthetic world, the share
   of returning guests whose top property is of the kind the truth says they prefer);
6. appends the figures to ``model_evaluation`` in the state file (copied into every published
   gold; the published gold is refreshed at once when there is one) and prints them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from guestloyalty.config import Settings
from guestloyalty.errors import GuestLoyaltyError, NoDataError
from guestloyalty.evaluation import metrics
from guestloyalty.warehouse import Layout, connect

EVALUATION_DDL = """
create table if not exists model_evaluation (
    evaluation_id varchar,
    evaluated_at timestamp,
    as_of_date date,
    horizon_days integer,
    model_version varchar,
    task varchar,
    model varchar,
    metric varchar,
    value double,
    guests bigint,
    note varchar
)
"""

Reporter = Callable[[str], None]


class BacktestError(GuestLoyaltyError):
    """A backtest could not run (no data, or no window left after as_of)."""


@dataclass
class BacktestResult:
    """Every figure of one backtest, by task and model."""

    evaluation_id: str
    as_of: dt.date
    horizon_days: int
    data_end: dt.date
    guests: int
    model_version: str
    mode: str
    churn: dict[str, dict[str, float]] = field(default_factory=dict)
    clv: dict[str, dict[str, float]] = field(default_factory=dict)
    #: task (property, room_type, extra:<id>, extras, taste) -> model -> metric
    recommendations: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, str, float]]:
        out = []
        for task, table in (("churn", self.churn), ("clv", self.clv)):
            for model, values in table.items():
                for metric, value in values.items():
                    out.append((task, model, metric, float(value)))
        for task, table in self.recommendations.items():
            for model, values in table.items():
                for metric, value in values.items():
                    out.append((f"recommend_{task}", model, metric, float(value)))
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "evaluation_id": self.evaluation_id,
            "as_of": str(self.as_of),
            "horizon_days": self.horizon_days,
            "data_end": str(self.data_end),
            "guests": self.guests,
            "model_version": self.model_version,
            "mode": self.mode,
            "churn": self.churn,
            "clv": self.clv,
            "recommendations": self.recommendations,
            "notes": self.notes,
        }

    def render(self) -> str:
        lines = [
            f"backtest as of {self.as_of}, horizon {self.horizon_days} days "
            f"(data end {self.data_end}); {self.guests:,} guests; model {self.model_version} "
            f"({self.mode})",
            "",
        ]
        for title, table in (("churn", self.churn), ("CLV", self.clv)):
            models = list(table)
            metric_names = list(dict.fromkeys(m for v in table.values() for m in v))
            lines.append(f"{title:<14}" + "".join(f"{m:>14}" for m in models))
            for metric in metric_names:
                cells = "".join(f"{_fmt(table[m].get(metric)):>14}" for m in models)
                lines.append(f"  {metric:<12}{cells}")
            lines.append("")
        if self.recommendations:
            lines += _render_recommendations(self.recommendations)
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines).rstrip()


def _render_recommendations(table: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """Next stay after as_of: hit@3 / NDCG@5 (property, room type), AUC (extras)."""
    models = ("model", "most_popular", "last_time")
    lines = ["recommendations" + "".join(f"{m:>14}" for m in models)]
    for task, values in table.items():
        metrics_of = ("hit_at_3", "ndcg_at_5") if task in ("property", "room_type") else ("auc",)
        if task == "taste":
            metrics_of = tuple(values.get("model", {}))
        for metric in metrics_of:
            cells = "".join(f"{_fmt(values.get(m, {}).get(metric)):>14}" for m in models)
            lines.append(f"  {task + ' ' + metric:<28}"[:30] + cells)
    lines.append("")
    return lines


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"


def silver_is_stale(layout: Layout) -> bool:
    """Bronze exists and silver does not, or was built before bronze last changed."""
    if not layout.bronze_path.exists():
        return False
    if not layout.silver_path.exists():
        return True
    return layout.silver_path.stat().st_mtime < layout.bronze_path.stat().st_mtime


def data_end(layout: Layout) -> dt.date:
    """The last check-in date in silver (run the pipeline first)."""
    from guestloyalty.models.baseline import stays_relation

    if not layout.silver_path.exists():
        raise NoDataError(f"{layout.silver_path} does not exist: run `guestloyalty pipeline` first")
    with connect(layout.silver_path, read_only=True) as con:
        relation = stays_relation(con)
        end = con.sql(f"select max(check_in_date) from {relation}").fetchall()[0][0]
    if end is None:
        raise NoDataError(f"{layout.silver_path}: no stays; nothing to backtest")
    return end


def run_backtest(
    layout: Layout,
    settings: Settings,
    *,
    as_of: dt.date | None = None,
    report: Reporter = print,
    keep_scratch: bool = False,
) -> BacktestResult:
    """Train and score as of ``as_of`` in a scratch build; compare with what happened after."""
    from guestloyalty.operations.pipeline import build_silver, pipeline_lock

    horizon = settings.horizon_days
    with pipeline_lock(layout):
        if silver_is_stale(layout):
            report("[backtest] silver is missing or older than bronze: building it ...")
            build_silver(layout, settings)
        end = data_end(layout)
        as_of = as_of or end - dt.timedelta(days=horizon)
        if as_of >= end:
            raise BacktestError(
                f"as_of {as_of} is on or after the last stay ({end}): nothing happened after it "
                "to compare with; pass an earlier --as-of"
            )
        notes: list[str] = []
        if as_of + dt.timedelta(days=horizon) > end:
            notes.append(
                f"the data end {(as_of + dt.timedelta(days=horizon) - end).days} days before "
                "as_of + horizon: late stays are missing, churn is overstated"
            )
        scratch = Path(tempfile.mkdtemp(prefix="backtest-", dir=layout.data_dir))
        try:
            result = _run_in_scratch(layout, Layout(scratch), settings, as_of, end, report)
        finally:
            if keep_scratch:
                report(f"[backtest] scratch build kept at {scratch}")
            else:
                shutil.rmtree(scratch, ignore_errors=True)
        result.notes = notes + result.notes
        _save(layout, result)
    return result


def _run_in_scratch(
    layout: Layout,
    scratch: Layout,
    settings: Settings,
    as_of: dt.date,
    end: dt.date,
    report: Reporter,
) -> BacktestResult:
    from guestloyalty.operations.pipeline import stage_transform
    from guestloyalty.scoring.score import score_current
    from guestloyalty.training.train import train_models

    scratch.ensure_dirs()
    # dbt attaches bronze read-only: the scratch build reads the real one through a link.
    os.symlink(layout.bronze_path.resolve(), scratch.bronze_path)
    run_settings = settings.model_copy(update={"data_dir": scratch.data_dir, "as_of": as_of})
    report(f"[backtest] building silver and gold as of {as_of} in {scratch.data_dir} ...")
    stage_transform(scratch, run_settings)
    report("[backtest] training ...")
    trained = train_models(scratch, run_settings)
    report(f"[backtest] trained {trained.version} ({trained.mode}); scoring ...")
    score_current(scratch, run_settings)
    report("[backtest] recommendations ...")
    from guestloyalty.scoring.recommendations import score_recommendations

    recommended = score_recommendations(
        scratch, run_settings, evaluate_until=as_of + dt.timedelta(days=settings.horizon_days)
    )
    report("[backtest] comparing with what happened after as_of ...")
    from guestloyalty.models.baseline import stays_relation

    with connect(scratch.gold_build_path, read_only=True) as con:
        con.execute(f"attach '{scratch.silver_path}' as silver_db (read_only)")
        sql = _OUTCOME_SQL.format(stays=stays_relation(con, catalog="silver_db"))
        table = con.sql(
            sql, params=[as_of, as_of + dt.timedelta(days=settings.horizon_days)]
        ).to_arrow_table()
    data = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
    guest_ids = np.asarray(table.column("guest_id").to_pylist(), dtype=object)
    result = evaluate(
        guest_ids=guest_ids,
        churned=data["churned"].astype(np.float64),
        revenue=data["revenue"].astype(np.float64),
        churn_model=data["churn_probability"].astype(np.float64),
        churn_btyd=_nan(data["p_no_stay_btyd"]),
        clv_model=data["clv_horizon"].astype(np.float64),
        clv_btyd=_nan(data["clv_btyd"]),
    )
    backtest = BacktestResult(
        evaluation_id=dt.datetime.now(dt.UTC).strftime("bt-%Y%m%dT%H%M%S"),
        as_of=as_of,
        horizon_days=settings.horizon_days,
        data_end=end,
        guests=len(guest_ids),
        model_version=trained.version,
        mode=trained.mode,
        churn=result["churn"],
        clv=result["clv"],
        recommendations=dict(recommended.evaluation),
    )
    if trained.mode == "btyd":
        backtest.notes.append(f"models fell back to the baseline: {trained.note}")
    elif trained.mode != "xgboost":
        backtest.notes.append(f"promoted {trained.mode}: {trained.note}")
    _add_taste(layout, backtest, recommended.top_property)
    _add_oracle(
        layout,
        backtest,
        guest_ids,
        data["churned"].astype(np.float64),
        data["churn_probability"].astype(np.float64),
        settings,
    )
    return backtest


_OUTCOME_SQL = """
with
scores as (select * from guest_scores),

future as (
    select guest_id, count(*) as stays, sum(total_revenue) as revenue
    from {stays}
    where check_in_date > ? and check_in_date <= ?
    group by guest_id
)

select
    scores.guest_id,
    scores.churn_probability,
    scores.clv_horizon,
    scores.p_no_stay_btyd,
    scores.clv_btyd,
    case when coalesce(future.stays, 0) = 0 then 1 else 0 end as churned,
    coalesce(future.revenue, 0) as revenue
from scores
left join future on scores.guest_id = future.guest_id
order by scores.guest_id
"""


def _nan(values: np.ndarray) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _churn_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "auc": metrics.roc_auc(y, p),
        "pr_auc": metrics.average_precision(y, p),
        "brier": metrics.brier(y, p),
        "log_loss": metrics.log_loss(y, p),
        "capture_top10": metrics.top_share_capture(y, p, share=0.1),
        "base_rate": float(np.mean(y)),
    }


def _clv_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "mae": metrics.mae(actual, predicted),
        "spearman": metrics.spearman(actual, predicted),
        "capture_top10": metrics.top_share_capture(actual, predicted, share=0.1),
        "gini": metrics.normalized_gini(actual, predicted),
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual.sum()),
    }


def evaluate(
    *,
    guest_ids: np.ndarray,
    churned: np.ndarray,
    revenue: np.ndarray,
    churn_model: np.ndarray,
    churn_btyd: np.ndarray,
    clv_model: np.ndarray,
    clv_btyd: np.ndarray,
) -> dict[str, dict[str, dict[str, float]]]:
    """Model and baseline metrics on the same guests (baseline gaps: its population average)."""
    del guest_ids
    churn_btyd = np.where(np.isnan(churn_btyd), np.nanmean(churn_btyd), churn_btyd)
    clv_btyd = np.where(np.isnan(clv_btyd), np.nanmean(clv_btyd), clv_btyd)
    churn = {"model": _churn_metrics(churned, churn_model)}
    clv = {"model": _clv_metrics(revenue, clv_model)}
    if np.isfinite(churn_btyd).all():
        churn["btyd"] = _churn_metrics(churned, churn_btyd)
    if np.isfinite(clv_btyd).all():
        clv["btyd"] = _clv_metrics(revenue, clv_btyd)
    return {"churn": churn, "clv": clv}


def _add_oracle(
    layout: Layout,
    result: BacktestResult,
    guest_ids: np.ndarray,
    churned: np.ndarray,
    model_prob: np.ndarray,
    settings: Settings,
) -> None:
    """Oracle AUC on the same guests when the synthetic world's truth file is there."""
    truth_path = getattr(layout, "truth_path", None)
    if truth_path is None or not Path(truth_path).exists():
        return
    try:
        from guestloyalty.synth.oracle import oracle_churn_probability
        from guestloyalty.synth.truth import read_truth

        oracle = oracle_churn_probability(
            read_truth(Path(truth_path)), as_of=result.as_of, horizon_days=settings.horizon_days
        )
    except (GuestLoyaltyError, ImportError, ValueError) as error:
        result.notes.append(f"oracle skipped: {error}")
        return
    lookup = dict(
        zip(oracle["guest_id"].to_list(), oracle["churn_probability"].to_list(), strict=True)
    )
    p = np.array([lookup.get(g, np.nan) for g in guest_ids], dtype=np.float64)
    known = ~np.isnan(p)
    if known.sum() < 0.5 * len(p):
        result.notes.append(
            f"oracle skipped: only {int(known.sum())} of {len(p)} scored guests are in the truth"
        )
        return
    y = churned[known]
    oracle_metrics = _churn_metrics(y, p[known])
    model_on_same = metrics.roc_auc(y, model_prob[known])
    result.churn["oracle"] = oracle_metrics
    result.churn["model"]["auc_share_of_oracle"] = (
        model_on_same / oracle_metrics["auc"] if oracle_metrics["auc"] else float("nan")
    )
    if known.sum() < len(p):
        result.notes.append(f"oracle covers {int(known.sum())} of {len(p)} scored guests")


def _add_taste(layout: Layout, result: BacktestResult, top: object) -> None:
    """Share of returning guests (two stays or more by as_of) whose top recommended property
    is of the kind the synthetic truth says they prefer; the last stay's kind beside it."""
    truth_path = getattr(layout, "truth_path", None)
    if top is None or truth_path is None or not Path(truth_path).exists():
        return
    import polars as pl

    from guestloyalty.synth.truth import TASTE_COLUMNS

    truth = pl.read_parquet(truth_path)
    if not set(TASTE_COLUMNS) <= set(truth.columns):
        result.notes.append("taste skipped: the truth file has no preferred property kind")
        return
    joined = top.join(  # type: ignore[attr-defined]
        truth.select("guest_id", "preferred_property_kind"), on="guest_id"
    ).filter(pl.col("stays") >= 2)
    if joined.height == 0:
        return
    share = (pl.col("property_kind") == pl.col("preferred_property_kind")).mean()
    last = (pl.col("last_property_kind") == pl.col("preferred_property_kind")).mean()
    figures = joined.select(share.alias("model"), last.alias("last_time")).row(0, named=True)
    result.recommendations["taste"] = {
        name: {"preferred_kind_share": float(value), "returning_guests": float(joined.height)}
        for name, value in figures.items()
    }


def _save(layout: Layout, result: BacktestResult) -> None:
    """Append to ``model_evaluation`` in the state file; refresh the published gold's copy."""
    layout.state_path.parent.mkdir(parents=True, exist_ok=True)
    evaluated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    note = "; ".join(result.notes) or None
    rows = [
        (
            result.evaluation_id,
            evaluated_at,
            result.as_of,
            result.horizon_days,
            result.model_version,
            task,
            model,
            metric,
            value if np.isfinite(value) else None,
            result.guests,
            note,
        )
        for task, model, metric, value in result.rows()
    ]
    with connect(layout.state_path) as con:
        con.execute(EVALUATION_DDL)
        con.executemany(
            "insert into model_evaluation values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    _refresh_published_gold(layout)


def _refresh_published_gold(layout: Layout) -> None:
    """Copy the published gold, replace its state tables, and publish the copy atomically."""
    from guestloyalty.warehouse import copy_state_into, publish_gold, start_gold_build

    if not layout.gold_path.exists():
        return
    build = start_gold_build(layout)
    shutil.copyfile(layout.gold_path, build)
    with contextlib.closing(connect(build)) as con:
        copy_state_into(layout, con)
    publish_gold(layout)


def result_json(result: BacktestResult) -> str:
    return json.dumps(result.to_dict(), indent=2, default=str)
