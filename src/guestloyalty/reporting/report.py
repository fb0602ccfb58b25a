"""``guestloyalty report``: one self-contained HTML file about the latest run.

Everything is inline (CSS and SVG charts drawn here, see :mod:`guestloyalty.reporting.report_svg`):
the file opens in any browser without a network connection and can be mailed as is.

Sections:

- headline figures of the published gold (guests scored, at risk, predicted value, value at
  risk) and the run that produced it;
- **model quality on data the models never saw**: churn ROC (model and the buy-till-you-die
  baseline), calibration, gains and lift by decile, CLV predicted against actual by decile.
  The curves use the promoted models' validation snapshot (the latest labeled one, held out
  of training); when ``guestloyalty backtest`` has run, its figures from ``model_evaluation``
  are shown next to them;
- churn risk bands, segment profiles, the next best actions;
- business metrics over time (``business_metrics``; otherwise the observed churn rate of the
  labeled snapshots);
- what guests write: mean review sentiment by month for the properties with most reviews,
  and the complaint topics with most negative mentions over the last 12 months with their
  trend (last 3 months against the 3 before; ``review_sentiment``,
  ``review_topics_by_property``);
- drift warnings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from guestloyalty.config import Settings
from guestloyalty.errors import NoDataError
from guestloyalty.reporting.report_svg import (
    MUTED,
    PALETTE,
    Series,
    bar_chart,
    fmt_number,
    fmt_percent,
    hbar_chart,
    line_chart,
)
from guestloyalty.warehouse import Layout, connect

if TYPE_CHECKING:
    import duckdb


@dataclass
class Validation:
    """Held-out predictions and outcomes on one labeled snapshot."""

    source: str
    snapshot: dt.date | None
    churned: np.ndarray
    churn_probability: np.ndarray
    future_revenue: np.ndarray
    clv_predicted: np.ndarray
    baseline_churn: np.ndarray | None = None
    baseline_clv: np.ndarray | None = None


@dataclass
class ReportData:
    """Everything the page shows, read from the published gold."""

    generated_at: dt.datetime
    gold_path: Path
    as_of: dt.date | None
    horizon_days: int | None
    tables: set[str]
    kpis: dict[str, float] = field(default_factory=dict)
    run: dict[str, object] | None = None
    models: list[dict[str, object]] = field(default_factory=list)
    validation: Validation | None = None
    validation_note: str = ""
    backtest: list[tuple[str, str, str, float]] = field(default_factory=list)
    backtest_label: str = ""
    risk_bands: list[tuple[str, int, float, float]] = field(default_factory=list)
    segments: list[dict[str, object]] = field(default_factory=list)
    actions: list[tuple[str, str, int]] = field(default_factory=list)
    monthly: list[dict[str, object]] = field(default_factory=list)
    monthly_source: str = ""
    drift: list[tuple[str, float]] = field(default_factory=list)
    #: (property, month, mean sentiment, reviews) of the most reviewed properties
    sentiment_by_month: list[tuple[str, dt.date, float, int]] = field(default_factory=list)
    #: topic, negative mentions (12 months), negative share, last 3 months, the 3 before,
    #: complaints logged (12 months)
    complaint_topics: list[tuple[str, int, float, int, int, int]] = field(default_factory=list)
    #: (entity, rule, quarantined rows, bronze rows of the entity), from quarantine_rules
    quarantine: list[tuple[str, str, int, int]] = field(default_factory=list)
    rows_after_as_of: int | None = None
    #: (insight_kind, subject, value, sentence) rows of run_insights, in reading order.
    insights: list[tuple[str, str, float, str]] = field(default_factory=list)
    #: campaign_results treatment rows with attributed revenue beside them (dicts)
    campaigns: list[dict[str, object]] = field(default_factory=list)
    #: what-if rows (guestloyalty.campaigns.whatif.WhatIf) and the model behind them
    what_if: list[object] = field(default_factory=list)
    what_if_note: str = ""


# ------------------------------------------------------------------------------------------
# Reading gold
# ------------------------------------------------------------------------------------------


def collect(layout: Layout, settings: Settings) -> ReportData:
    """Read what the report shows from the published gold (and, for the curves, silver)."""
    if not layout.gold_path.exists():
        raise NoDataError(f"{layout.gold_path} does not exist yet: run `guestloyalty pipeline`")
    with connect(layout.gold_path, read_only=True) as con:
        tables = {
            row[0]
            for row in con.sql(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        }
        as_of, horizon = (None, None)
        if "run_context" in tables:
            as_of, horizon = con.sql("select as_of_date, horizon_days from run_context").fetchall()[
                0
            ]
        data = ReportData(
            generated_at=dt.datetime.now().replace(microsecond=0),
            gold_path=layout.gold_path,
            as_of=as_of,
            horizon_days=horizon,
            tables=tables,
        )
        _kpis(con, data)
        _run_and_models(con, data)
        _backtest(con, data)
        _risk_and_segments(con, data)
        _monthly(con, data)
        _reviews(con, data)
        _data_quality(con, data)
        _campaigns(con, data)
        if "run_insights" in tables:
            data.insights = con.sql(
                "select insight_kind, subject, insight_value, sentence from run_insights "
                "order by insight_rank"
            ).fetchall()
        if "feature_drift" in tables:
            data.drift = con.sql(
                "select feature, psi from feature_drift where status = 'warn' order by psi desc"
            ).fetchall()
    data.validation, data.validation_note = _validation(layout, settings, data)
    if data.campaigns:
        _what_if(layout, data)
    return data


def _campaigns(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    """Each campaign's holdout-measured lift, with the revenue attribution gives it."""
    if "campaign_results" not in data.tables:
        return
    attributed = "campaign_attribution" in data.tables
    rel = con.sql(
        f"""
        with attributed as (
            {
            "select campaign_id, attribution_model, sum(attributed_revenue) as revenue "
            "from campaign_attribution group by all"
            if attributed
            else "select null as campaign_id, null as attribution_model, 0.0 as revenue where false"
        }
        )
        select results.campaign_id, results.guests, results.lift, results.lift_lower_95,
            results.lift_upper_95, results.significance, results.incremental_revenue,
            results.incremental_revenue_lower_95, results.incremental_revenue_upper_95,
            results.offer_cost, results.roi, results.is_window_complete,
            max(case when attributed.attribution_model = 'last_touch' then attributed.revenue end)
                as last_touch_revenue,
            max(case when attributed.attribution_model = 'linear' then attributed.revenue end)
                as linear_revenue
        from campaign_results as results
        left join attributed on results.campaign_id = attributed.campaign_id
        where results.assigned_group = 'treatment'
        group by all
        order by results.campaign_id
        """
    )
    data.campaigns = [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def _what_if(layout: Layout, data: ReportData) -> None:
    """What 10% of the contactable guests in offers would bring, by targeting."""
    from guestloyalty.campaigns.simulate import simulate_budgets
    from guestloyalty.campaigns.targeting import contactable_ids
    from guestloyalty.errors import GuestLoyaltyError

    try:
        with connect(layout.gold_path, read_only=True) as con:
            budget = max(1, len(contactable_ids(con)) // 10)
        result = simulate_budgets(layout, [budget], draws=3)
    except (GuestLoyaltyError, duckdb.Error) as error:
        data.what_if_note = f"No what-if: {error}"
        return
    data.what_if = result.rows
    data.what_if_note = (
        f"{budget:,} offers (10% of the {result.candidates:,} guests we may contact); uplift "
        f"model {result.learner} learned from {result.training_members:,} members of "
        f"{result.campaigns} campaigns. Intervals: refits on resampled members and the chance "
        "in who returns. guestloyalty campaign simulate --budget N for other budgets."
    )


def _kpis(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    if "guest_scores" not in data.tables:
        return
    guests, at_risk, clv, at_stake = con.sql(
        "select count(*), count(*) filter (where churn_risk in ('HIGH', 'CRITICAL')), "
        "sum(clv_horizon), sum(clv_horizon * churn_probability) from guest_scores"
    ).fetchall()[0]
    data.kpis = {
        "guests scored": float(guests),
        "at HIGH / CRITICAL risk": float(at_risk),
        **_lifecycle_kpis(con, data),
        "predicted value (horizon)": float(clv or 0),
        "value at risk": float(at_stake or 0),
    }
    if "next_best_action" in data.tables:
        data.kpis["contactable now"] = float(
            con.sql(
                "select count(*) from next_best_action where channel in ('email', 'sms', 'push')"
            ).fetchall()[0][0]
        )


def _data_quality(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    if "quarantine_rules" in data.tables:
        data.quarantine = con.sql(
            "select entity, failed_rule, quarantined_rows, bronze_rows from quarantine_rules "
            "order by entity, quarantined_rows desc, failed_rule"
        ).fetchall()
    if "run_context" in data.tables:
        with contextlib.suppress(Exception):  # a gold published before the column
            data.rows_after_as_of = con.sql("select rows_after_as_of from run_context").fetchall()[
                0
            ][0]


def _lifecycle_kpis(con: duckdb.DuckDBPyConnection, data: ReportData) -> dict[str, float]:
    columns = {
        row[0]
        for row in con.sql(
            "select column_name from duckdb_columns() where table_name = 'guest_scores'"
        ).fetchall()
    }
    if "lifecycle_stage" not in columns:
        return {}
    out = {
        "slipping": float(
            con.sql(
                "select count(*) from guest_scores where lifecycle_stage = 'slipping'"
            ).fetchall()[0][0]
        )
    }
    if "at_risk_guests" in data.tables:
        out["on the at-risk list"] = float(
            con.sql("select count(*) from at_risk_guests").fetchall()[0][0]
        )
    return out


def _run_and_models(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    if "run_log" in data.tables:
        rows = con.sql(
            "select run_id, status, finished_at, stage_seconds, message from run_log "
            "where status in ('succeeded', 'partial') order by started_at desc limit 1"
        ).fetchall()
        if rows:
            run_id, status, finished, stages, message = rows[0]
            data.run = {
                "run_id": run_id,
                "status": status,
                "finished_at": finished,
                "message": message,
            }
            try:
                data.run["seconds"] = sum(json.loads(stages or "{}").values())
            except (ValueError, TypeError):
                pass
    if "model_registry" in data.tables:
        for name, version, algorithm, metrics, note in con.sql(
            "select model_name, model_version, algorithm, metrics, note from model_registry "
            "where is_promoted order by model_name"
        ).fetchall():
            try:
                values = json.loads(metrics or "{}")
            except ValueError:
                values = {}
            data.models.append(
                {
                    "name": name,
                    "version": version,
                    "algorithm": algorithm,
                    "metrics": values,
                    "note": note,
                }
            )


def _backtest(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    if "model_evaluation" not in data.tables:
        return
    latest = con.sql(
        "select evaluation_id, as_of_date, horizon_days, max(guests) from model_evaluation "
        "group by all order by max(evaluated_at) desc limit 1"
    ).fetchall()
    if not latest:
        return
    evaluation_id, as_of, horizon, guests = latest[0]
    data.backtest_label = (
        f"backtest {evaluation_id}: as of {as_of}, horizon {horizon} days, {guests:,} guests"
    )
    data.backtest = [
        (task, model, metric, float(value))
        for task, model, metric, value in con.sql(
            "select task, model, metric, value from model_evaluation where evaluation_id = ? "
            "and value is not null order by task, metric, model",
            params=[evaluation_id],
        ).fetchall()
    ]


def _risk_and_segments(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    if "guest_scores" in data.tables:
        data.risk_bands = con.sql(
            "select churn_risk, count(*), sum(clv_horizon), avg(churn_probability) "
            "from guest_scores group by 1 order by case churn_risk when 'LOW' then 1 "
            "when 'MEDIUM' then 2 when 'HIGH' then 3 else 4 end"
        ).fetchall()
    if "segment_profiles" in data.tables:
        rel = con.sql("select * from segment_profiles order by guests desc")
        columns = rel.columns
        data.segments = [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]
    elif "guest_scores" in data.tables:
        data.segments = [
            {
                "segment": segment,
                "guests": guests,
                "guest_share": share,
                "mean_clv_horizon": mean_clv,
                "mean_churn_probability": mean_churn,
            }
            for segment, guests, share, mean_clv, mean_churn in con.sql(
                "select segment, count(*), count(*) / sum(count(*)) over (), avg(clv_horizon), "
                "avg(churn_probability) from guest_scores group by 1 order by 2 desc"
            ).fetchall()
        ]
    if "next_best_action" in data.tables:
        data.actions = con.sql(
            "select offer_name, channel, count(*) from next_best_action group by all "
            "order by 3 desc, 1, 2"
        ).fetchall()


def _monthly(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    if "business_metrics" in data.tables:
        rel = con.sql(
            "select month_start, sum(stays) as stays, sum(revenue) as revenue, "
            "sum(repeat_guest_share * stays) / nullif(sum(stays), 0) as repeat_guest_share, "
            "sum(cancellation_rate * bookings) / nullif(sum(bookings), 0) as cancellation_rate, "
            "sum(active_guests) as active_guests "
            "from business_metrics group by month_start order by month_start"
        )
        data.monthly_source = "business_metrics (all properties)"
    elif "guest_feature_snapshots" in data.tables:
        # labeled snapshots may hold a hash sample of guests: sample_weight scales it back up
        rel = con.sql(
            "select snapshot_date as month_start, round(sum(sample_weight)) as guests, "
            "avg(churned) as churn_rate, sum(future_revenue * sample_weight) as future_revenue "
            "from guest_feature_snapshots where is_labeled group by 1 order by 1"
        )
        data.monthly_source = "labeled feature snapshots (observed outcomes)"
    else:
        return
    columns = rel.columns
    data.monthly = [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]


def _reviews(con: duckdb.DuckDBPyConnection, data: ReportData, *, properties: int = 6) -> None:
    if "review_sentiment" in data.tables:
        data.sentiment_by_month = con.sql(
            f"""
            with top as (
                select coalesce(property_id, 'unknown') as property_id
                from review_sentiment where sentiment is not null
                group by 1 order by count(*) desc, 1 limit {int(properties)}
            )
            select coalesce(reviews.property_id, 'unknown') as property_id,
                date_trunc('month', reviews.submitted_date) as month_start,
                avg(reviews.sentiment), count(*)
            from review_sentiment as reviews
            inner join top on coalesce(reviews.property_id, 'unknown') = top.property_id
            where reviews.sentiment is not null
            group by all order by 1, 2
            """
        ).fetchall()
    if "review_topics_by_property" in data.tables and data.as_of is not None:
        data.complaint_topics = con.sql(
            """
            with windowed as (
                select topic, negative_mentions, mentions, complaint_mentions,
                    date_diff('month', month_start, date_trunc('month', ?::date)) as months_ago
                from review_topics_by_property
            )
            select topic,
                sum(negative_mentions) as negative,
                sum(negative_mentions) / nullif(sum(mentions), 0) as negative_share,
                sum(case when months_ago < 3 then negative_mentions else 0 end) as last_3,
                sum(case when months_ago >= 3 and months_ago < 6 then negative_mentions else 0
                    end) as previous_3,
                sum(complaint_mentions) as complaints
            from windowed where months_ago < 12
            group by topic
            having sum(negative_mentions) + sum(complaint_mentions) > 0
            order by negative desc, complaints desc, topic
            """,
            params=[data.as_of],
        ).fetchall()


def _validation(
    layout: Layout, settings: Settings, data: ReportData
) -> tuple[Validation | None, str]:
    """Promoted models' predictions on their validation snapshot, with what happened."""
    try:
        from guestloyalty.models import registry

        bundle = registry.load_promoted(layout)
    except Exception as error:  # noqa: BLE001 - the report still renders without curves
        return None, f"no promoted model ({str(error).splitlines()[0]})"
    try:
        observed = _observed_after_as_of(layout, data)
        if observed is not None:
            return observed, ""
    except Exception:  # noqa: BLE001, S110 - fall back to the validation snapshot
        pass
    snapshot_text = bundle.manifest.get("valid_snapshot")
    try:
        validation = _predict_validation(layout, settings, bundle, snapshot_text)
    except Exception as error:  # noqa: BLE001
        return None, f"validation curves unavailable: {str(error).splitlines()[0]}"
    if validation is None:
        return None, (
            "no labeled snapshot to measure on: the data hold less than one horizon before "
            "as_of (run `guestloyalty backtest`, or a run with --as-of one horizon before the "
            "end of the data)"
        )
    return validation, ""


def _observed_after_as_of(layout: Layout, data: ReportData) -> Validation | None:
    """Today's scores against what happened after as_of, when the data cover the horizon.

    A run with ``--as-of`` one horizon (or more) before the end of the data is a backtest:
    nothing after as_of went into its features, and silver knows what came next.
    """
    if data.as_of is None or not data.horizon_days or "guest_scores" not in data.tables:
        return None
    from guestloyalty.models import baseline

    stays = baseline.load_stays_from_layout(layout)
    if len(stays) == 0:
        return None
    as_of = np.datetime64(data.as_of, "D")
    end = as_of + np.timedelta64(int(data.horizon_days), "D")
    if stays.check_in.max() < end:
        return None
    window = (stays.check_in > as_of) & (stays.check_in <= end)
    with connect(layout.gold_path, read_only=True) as con:
        columns = {row[0] for row in con.sql("describe guest_scores").fetchall()}
        extra = [c for c in ("p_no_stay_btyd", "clv_btyd") if c in columns]
        rows = con.sql(
            "select guest_id, churn_probability, clv_horizon"
            + "".join(f", {c}" for c in extra)
            + " from guest_scores order by guest_id"
        ).fetchall()
    if not rows:
        return None
    ids = np.asarray([row[0] for row in rows], dtype=object)
    returned_ids, inverse = np.unique(stays.guest_id[window].astype(str), return_inverse=True)
    revenue_by_guest = np.bincount(inverse, weights=stays.revenue[window])
    pos = np.clip(np.searchsorted(returned_ids, ids.astype(str)), 0, max(len(returned_ids) - 1, 0))
    found = returned_ids[pos] == ids.astype(str) if len(returned_ids) else np.zeros(len(ids), bool)
    revenue = np.where(found, revenue_by_guest[pos] if len(returned_ids) else 0.0, 0.0)

    def column(index: int, default: float) -> np.ndarray:
        values = np.array([np.nan if row[index] is None else row[index] for row in rows], float)
        return np.nan_to_num(values, nan=default)

    return Validation(
        source=f"today's scores vs what happened in the {data.horizon_days} days after as_of",
        snapshot=data.as_of,
        churned=(~found).astype(np.float64),
        churn_probability=column(1, 1.0),
        future_revenue=revenue.astype(np.float64),
        clv_predicted=column(2, 0.0),
        baseline_churn=column(3, 1.0) if "p_no_stay_btyd" in extra else None,
        baseline_clv=column(3 + ("p_no_stay_btyd" in extra), 0.0) if "clv_btyd" in extra else None,
    )


def _predict_validation(layout, settings, bundle, snapshot_text) -> Validation | None:  # noqa: ANN001
    from guestloyalty.models import baseline, churn, clv, features
    from guestloyalty.scoring import score

    with connect(layout.gold_path, read_only=True) as con:
        labeled = features.load_labeled(con)
    if len(labeled) == 0:
        return None
    dates = np.unique(labeled.snapshot_date)
    target = np.datetime64(snapshot_text, "D") if snapshot_text else dates[-1]
    valid = labeled.subset(labeled.snapshot_date.astype("datetime64[D]") == target)
    if len(valid) == 0:
        return None
    horizon = int(bundle.manifest.get("horizon_days", settings.horizon_days))
    full = valid
    if baseline.available():
        stays = baseline.load_stays_from_layout(layout)
        full, _ = baseline.add_baseline_features(valid, stays, horizon_days=horizon)
    base_churn = base_clv = None
    if "btyd_p_no_stay" in full.feature_names:
        base_churn = np.nan_to_num(full.column("btyd_p_no_stay").astype(np.float64), nan=1.0)
        base_clv = np.nan_to_num(full.column("btyd_expected_spend").astype(np.float64), nan=0.0)
    if bundle.manifest.get("mode", "xgboost") == "xgboost":
        booster, calibration, names = score.load_churn(bundle, validated=True)
        probability = churn.apply_calibration(
            calibration, churn.raw_churn(booster, full.select(names))
        )
        clv_booster, clv_names, blend = score.load_clv(bundle, validated=True)
        value = clv.apply_blend(
            clv.predict_clv(clv_booster, full.select(clv_names)), probability, blend
        )
        source = "promoted model"
    elif base_churn is not None:
        probability, value, source = base_churn, base_clv, "buy-till-you-die (promoted)"
    else:
        return None
    return Validation(
        source=source,
        snapshot=target.astype("datetime64[D]").astype(dt.date),
        churned=valid.churned.astype(np.float64),
        churn_probability=np.asarray(probability, dtype=np.float64),
        future_revenue=valid.future_revenue.astype(np.float64),
        clv_predicted=np.asarray(value, dtype=np.float64),
        baseline_churn=base_churn,
        baseline_clv=base_clv,
    )


# ------------------------------------------------------------------------------------------
# Curves
# ------------------------------------------------------------------------------------------


def roc_curve(y: np.ndarray, score: np.ndarray, *, points: int = 200) -> tuple[list, list]:
    """(false positive rates, true positive rates), thinned to about ``points`` points."""
    y = np.asarray(y, dtype=bool)
    order = np.argsort(-np.asarray(score), kind="mergesort")
    sorted_score = np.asarray(score)[order]
    hits = y[order]
    tp = np.cumsum(hits)
    fp = np.cumsum(~hits)
    last_of_tie = np.r_[sorted_score[1:] != sorted_score[:-1], True]
    tp, fp = tp[last_of_tie], fp[last_of_tie]
    positives, negatives = max(int(y.sum()), 1), max(int((~y).sum()), 1)
    tpr = np.r_[0.0, tp / positives]
    fpr = np.r_[0.0, fp / negatives]
    if len(fpr) > points:
        keep = np.unique(np.r_[np.linspace(0, len(fpr) - 1, points).astype(int), len(fpr) - 1])
        tpr, fpr = tpr[keep], fpr[keep]
    return fpr.tolist(), tpr.tolist()


def calibration_bins(
    y: np.ndarray, probability: np.ndarray, *, bins: int = 10
) -> tuple[list, list, list]:
    """(mean predicted, observed rate, rows) per quantile bin of the predicted probability."""
    order = np.argsort(probability, kind="mergesort")
    predicted, observed, rows = [], [], []
    for chunk in np.array_split(order, bins):
        if len(chunk) == 0:
            continue
        predicted.append(float(np.mean(probability[chunk])))
        observed.append(float(np.mean(y[chunk])))
        rows.append(len(chunk))
    return predicted, observed, rows


def gains(y: np.ndarray, score: np.ndarray, *, points: int = 20) -> tuple[list, list]:
    """(share of guests targeted, share of positives found) when targeting by ``score``."""
    order = np.argsort(-np.asarray(score), kind="mergesort")
    found = np.cumsum(np.asarray(y, dtype=np.float64)[order])
    total = found[-1] if len(found) and found[-1] > 0 else 1.0
    shares = np.linspace(0, 1, points + 1)
    idx = np.clip((shares * len(order)).astype(int) - 1, -1, len(order) - 1)
    captured = np.where(idx < 0, 0.0, found[np.maximum(idx, 0)] / total)
    return shares.tolist(), captured.tolist()


def decile_means(values: np.ndarray, by: np.ndarray, *, groups: int = 10) -> list[float]:
    """Mean of ``values`` in each decile of ``by`` (highest ``by`` first)."""
    order = np.argsort(-np.asarray(by), kind="mergesort")
    return [
        float(np.mean(np.asarray(values)[chunk])) if len(chunk) else float("nan")
        for chunk in np.array_split(order, groups)
    ]


# ------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------

CSS = """
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --card: #ffffff; --bg: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { background: #111827; color: #f9fafb; padding: 22px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d1d5db; }
main { padding: 20px 32px 40px; max-width: 1280px; margin: 0 auto; }
h2 { font-size: 17px; margin: 26px 0 10px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.kpi {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 12px 14px;
}
.kpi .value { font-size: 22px; font-weight: 650; }
.kpi .label {
  color: var(--muted);
  font-size: 12px;
  text-transform: uppercase;
  letter-spacing: .03em;
}
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px; }
.card {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 12px 14px;
}
.card p.note { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
svg.chart { width: 100%; height: auto; display: block; }
.chart-title { font-size: 13px; font-weight: 600; fill: var(--ink); }
.plot-area { fill: #fafafa; stroke: var(--line); }
line.gridline { stroke: var(--line); stroke-width: 1; }
.axis { stroke: #9ca3af; }
.tick { font-size: 11px; fill: #4b5563; }
.axis-label { font-size: 11px; fill: #374151; }
.legend-box { fill: #ffffff; fill-opacity: 0.85; stroke: #e5e7eb; }
.legend { font-size: 11px; fill: #111827; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td {
  text-align: left;
  padding: 5px 8px;
  border-bottom: 1px solid var(--line);
  vertical-align: top;
}
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.warn { color: #b45309; }
footer {
  color: var(--muted);
  font-size: 12px;
  padding: 0 32px 30px;
  max-width: 1280px;
  margin: 0 auto;
}
"""


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[object]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(
        f'<th class="num">{_esc(h)}</th>' if i in numeric else f"<th>{_esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_esc(v)}</td>' if i in numeric else f"<td>{_esc(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _rate_chart(series: list[Series], *, title: str, x_label: str, y_label: str, where: str) -> str:
    """A card with a line chart of one share against another, both axes 0-100 %."""
    return _card(
        line_chart(
            series,
            title=title,
            legend_corner="bottom-right",
            x_label=x_label,
            y_label=y_label,
            x_range=(0, 1),
            y_range=(0, 1),
            x_format=fmt_percent,
            y_format=fmt_percent,
        ),
        where,
    )


def _card(content: str, note: str = "") -> str:
    extra = f'<p class="note">{_esc(note)}</p>' if note else ""
    return f'<div class="card">{content}{extra}</div>'


def _metric(value: object, digits: int = 3) -> str:
    if isinstance(value, int | float) and math.isfinite(value):
        if abs(value) >= 1000 or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


def render(data: ReportData) -> str:
    """The whole page."""
    parts: list[str] = []
    parts.append(_kpi_section(data))
    if data.insights:
        parts.append(_changes_section(data))
    parts.append(_quality_section(data))
    parts.append(_scores_section(data))
    parts.append(_business_section(data))
    parts.append(_reviews_section(data))
    parts.append(_campaigns_section(data))
    parts.append(_data_quality_section(data))
    if data.drift:
        rows = [[feature, f"{psi:.2f}"] for feature, psi in data.drift]
        parts.append(
            "<h2>Drift</h2>"
            + _card(
                _table(["feature", "PSI"], rows, {1}),
                "Model inputs whose distribution at as_of moved away from training (PSI > 0.2).",
            )
        )
    subtitle = (
        f"as of {data.as_of} · horizon {data.horizon_days} days · gold {data.gold_path}"
        if data.as_of
        else f"gold {data.gold_path}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>guestloyalty report {_esc(data.as_of or '')}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>Guest loyalty report</h1><p>{_esc(subtitle)}</p></header>"
        f"<main>{''.join(parts)}</main>"
        f"<footer>Generated {_esc(data.generated_at)} by guestloyalty. Self-contained: no "
        "scripts, no network. Curves are measured on a snapshot the models never trained on."
        "</footer></body></html>\n"
    )


def _changes_section(data: ReportData) -> str:
    """Guests per lifecycle stage and what changed, every sentence a run_insights row."""
    stages = [
        [subject, f"{value:,.0f}"]
        for kind, subject, value, _ in data.insights
        if kind == "stage_count"
    ]
    changes = [sentence for kind, _, _, sentence in data.insights if kind != "stage_count"]
    body = _table(["lifecycle stage", "guests"], stages, {1}) if stages else ""
    body += (
        "<ul>" + "".join(f"<li>{_esc(sentence)}</li>" for sentence in changes) + "</ul>"
        if changes
        else "<p>No stage moves since a previous run and no business metric off its history.</p>"
    )
    return "<h2>What changed</h2>" + _card(
        body,
        "From gold's run_insights: moves into slipping / lapsed / reactivated since the last "
        "run, and property metrics more than two standard deviations from their 12 months.",
    )


def _kpi_section(data: ReportData) -> str:
    cards = []
    for label, value in data.kpis.items():
        cards.append(
            f'<div class="kpi"><div class="label">{_esc(label)}</div>'
            f'<div class="value">{_esc(fmt_number(value))}</div></div>'
        )
    churn = next((m for m in data.models if m["name"] == "churn"), None)
    if churn and isinstance(churn["metrics"].get("auc"), int | float):
        cards.append(
            '<div class="kpi"><div class="label">churn AUC (held out)</div>'
            f'<div class="value">{churn["metrics"]["auc"]:.3f}</div></div>'
        )
    run = ""
    if data.run:
        run = (
            f'<p class="note">Run {_esc(data.run["run_id"])} {_esc(data.run["status"])} '
            f"at {_esc(str(data.run['finished_at'])[:16])}."
            + (f" {_esc(data.run['message'])}" if data.run.get("message") else "")
            + "</p>"
        )
    models = ""
    if data.models:
        rows = []
        for model in data.models:
            metrics = model["metrics"]
            shown = ", ".join(
                f"{key} {_metric(metrics[key])}"
                for key in (
                    "auc",
                    "pr_auc",
                    "brier",
                    "mae",
                    "spearman",
                    "capture_top10",
                    "churn_auc",
                    "clv_spearman",
                    "k",
                    "silhouette",
                )
                if key in metrics and isinstance(metrics[key], int | float)
            )
            rows.append([model["name"], model["version"], model["algorithm"], shown])
        models = "<h2>Promoted models</h2>" + _card(
            _table(["model", "version", "algorithm", "validation metrics"], rows)
        )
        models += _selection_card(data)
    return f'<h2>At a glance</h2><div class="kpis">{"".join(cards)}</div>{run}{models}'


def _data_quality_section(data: ReportData) -> str:
    """Quarantined rows per entity and rule, and the rows dated after as_of."""
    if "quarantine_rules" not in data.tables:
        return ""
    rows = [
        [entity, rule, f"{rows:,}", f"{rows / bronze:.2%}" if bronze else "-"]
        for entity, rule, rows, bronze in data.quarantine
    ]
    body = (
        _table(["entity", "rule", "rows", "of the entity"], rows, {2, 3})
        if rows
        else ("<p>No row quarantined.</p>")
    )
    note = (
        "Rows silver quarantined, by the first rule they failed (README: Quarantine rules); "
        "bronze keeps them."
    )
    if data.rows_after_as_of:
        note += f" {data.rows_after_as_of:,} rows dated after as_of are not used."
    return "<h2>Data quality</h2>" + _card(body, note)


def _selection_card(data: ReportData) -> str:
    """The rolling-origin backtest that chose the promoted models (``selection`` registry row)."""
    selection = next((m for m in data.models if m["name"] == "selection"), None)
    table = (selection or {}).get("metrics", {}).get("table") if selection else None
    if not table:
        return ""
    rows = [
        [
            row["origin"],
            row["horizon_days"],
            row["kind"],
            row["candidate"],
            row["guests"],
            _metric(row["churn_auc"]),
            _metric(row["mae"]),
            _metric(row["spearman"]),
            _metric(row["capture_top10"]),
        ]
        for row in table
    ]
    headers = ["origin", "days", "kind", "candidate", "guests", "churn AUC", "CLV MAE"]
    return "<h3>Selection: every candidate on the same guests, per origin</h3>" + _card(
        _table([*headers, "Spearman", "top-10%"], rows, numeric={1, 4, 5, 6, 7, 8}),
        _esc(selection.get("note") or ""),
    )


def _quality_section(data: ReportData) -> str:
    v = data.validation
    out = ["<h2>Model quality on held-out guests</h2>"]
    if v is None:
        out.append(_card(f"<p>No curves: {_esc(data.validation_note)}</p>"))
    else:
        from guestloyalty.evaluation.metrics import roc_auc

        where = (
            f"{v.source}, as of {v.snapshot} ({len(v.churned):,} guests)"
            if v.source.startswith("today")
            else f"validation snapshot {v.snapshot} ({len(v.churned):,} guests, {v.source})"
        )
        charts = []
        series = []
        fpr, tpr = roc_curve(v.churned, v.churn_probability)
        auc = roc_auc(v.churned, v.churn_probability)
        series.append(Series(f"model (AUC {auc:.3f})", fpr, tpr, PALETTE[0]))
        if v.baseline_churn is not None:
            bfpr, btpr = roc_curve(v.churned, v.baseline_churn)
            bauc = roc_auc(v.churned, v.baseline_churn)
            series.append(Series(f"BG/NBD P(no stay) (AUC {bauc:.3f})", bfpr, btpr, PALETTE[1]))
        series.append(Series("random", [0, 1], [0, 1], MUTED, dashed=True))
        charts.append(
            _rate_chart(
                series,
                title="Churn ROC",
                x_label="false positive rate",
                y_label="true positive rate",
                where=where,
            )
        )
        predicted, observed, _ = calibration_bins(v.churned, v.churn_probability)
        charts.append(
            _rate_chart(
                [
                    Series("model", predicted, observed, PALETTE[0], points=True),
                    Series("perfect", [0, 1], [0, 1], MUTED, dashed=True),
                ],
                title="Churn calibration (10 bins of predicted probability)",
                x_label="mean predicted churn probability",
                y_label="observed churn rate",
                where=where,
            )
        )
        share, captured = gains(v.churned, v.churn_probability)
        gain_series = [Series("model", share, captured, PALETTE[0], points=True)]
        if v.baseline_churn is not None:
            bshare, bcaptured = gains(v.churned, v.baseline_churn)
            gain_series.append(Series("BG/NBD", bshare, bcaptured, PALETTE[1]))
        gain_series.append(Series("random", [0, 1], [0, 1], MUTED, dashed=True))
        charts.append(
            _rate_chart(
                gain_series,
                title="Cumulative gains: churners found when targeting the riskiest first",
                x_label="share of guests targeted",
                y_label="share of churners found",
                where=where,
            )
        )
        base_rate = float(np.mean(v.churned)) if len(v.churned) else float("nan")
        lift = [
            rate / base_rate if base_rate > 0 else float("nan")
            for rate in decile_means(v.churned, v.churn_probability)
        ]
        charts.append(
            _card(
                bar_chart(
                    [str(i) for i in range(1, 11)],
                    [("lift", lift, PALETTE[0])],
                    title="Lift by decile of churn probability (1 = riskiest tenth)",
                    y_label="churn rate / base rate",
                    x_label="decile",
                ),
                f"base churn rate {base_rate:.1%}; {where}",
            )
        )
        groups = [
            ("predicted", decile_means(v.clv_predicted, v.clv_predicted), PALETTE[0]),
            ("actual", decile_means(v.future_revenue, v.clv_predicted), PALETTE[2]),
        ]
        if v.baseline_clv is not None:
            groups.append(
                ("BG/NBD x Gamma-Gamma", decile_means(v.baseline_clv, v.clv_predicted), PALETTE[1])
            )
        charts.append(
            _card(
                bar_chart(
                    [str(i) for i in range(1, 11)],
                    groups,
                    title="CLV predicted vs actual by decile of predicted CLV",
                    y_label="mean revenue per guest",
                    x_label="decile (1 = highest predicted)",
                ),
                f"revenue in the {data.horizon_days or ''}-day horizon after the snapshot; {where}",
            )
        )
        out.append(f'<div class="cards">{"".join(charts)}</div>')
    if data.backtest:
        rows = [
            [task, model, metric, _metric(value)]
            for task, model, metric, value in data.backtest
            if not task.startswith(RECOMMEND_TASK)
        ]
        out.append(
            "<h2>Latest backtest</h2>"
            + _card(_table(["task", "model", "metric", "value"], rows, {3}), data.backtest_label)
        )
        recommend_rows = _recommendation_rows(data.backtest)
        if recommend_rows:
            out.append(
                "<h2>Recommendations on the next stay</h2>"
                + _card(
                    _table(["task", "metric", *RECOMMEND_MODELS], recommend_rows, {2, 3, 4}),
                    "the first stay after as_of of guests with a history: hit@3 and NDCG@5 of its "
                    "property and room type, AUC of buying each extra on it; taste: share of "
                    "returning guests whose top property is of their preferred kind (synthetic "
                    f"truth); {data.backtest_label}",
                )
            )
    return "".join(out)


RECOMMEND_TASK = "recommend_"
RECOMMEND_MODELS = ("model", "most_popular", "last_time")
_RECOMMEND_METRICS = ("hit_at_3", "ndcg_at_5", "auc", "preferred_kind_share")


def _recommendation_rows(backtest: list[tuple[str, str, str, float]]) -> list[list[object]]:
    """The backtest's recommendation figures, one row per task and metric, models side by side."""
    cells: dict[tuple[str, str], dict[str, float]] = {}
    for task, model, metric, value in backtest:
        if task.startswith(RECOMMEND_TASK) and metric in _RECOMMEND_METRICS:
            cells.setdefault((task.removeprefix(RECOMMEND_TASK), metric), {})[model] = value
    return [
        [task, metric, *(_metric(values[m]) if m in values else "" for m in RECOMMEND_MODELS)]
        for (task, metric), values in cells.items()
    ]


def _scores_section(data: ReportData) -> str:
    out = ["<h2>Guests today</h2>", '<div class="cards">']
    if data.risk_bands:
        names = [band for band, *_ in data.risk_bands]
        out.append(
            _card(
                bar_chart(
                    names,
                    [("guests", [float(n) for _, n, _, _ in data.risk_bands], PALETTE[0])],
                    title="Guests by churn risk band",
                    y_label="guests",
                ),
                "; ".join(
                    f"{band}: predicted value {fmt_number(value or 0)}"
                    for band, _, value, _ in data.risk_bands
                ),
            )
        )
    if data.segments:
        names = [str(s.get("segment")) for s in data.segments]
        out.append(
            _card(
                hbar_chart(
                    names,
                    [float(s.get("mean_clv_horizon") or 0) for s in data.segments],
                    title="Mean predicted CLV by segment",
                )
            )
        )
    out.append("</div>")
    if data.segments:
        rows = [
            [
                s.get("segment"),
                f"{int(s.get('guests') or 0):,}",
                fmt_percent(float(s.get("guest_share") or 0)),
                fmt_number(float(s.get("mean_clv_horizon") or 0)),
                fmt_percent(float(s.get("mean_churn_probability") or 0)),
                ""
                if s.get("redemption_rate") is None
                else fmt_percent(float(s["redemption_rate"])),
                s.get("defining_traits") or "",
            ]
            for s in data.segments
        ]
        out.append(
            "<h2>Segment profiles</h2>"
            + _card(
                _table(
                    ["segment", "guests", "share", "mean CLV", "churn", "redemption", "traits"],
                    rows,
                    {1, 2, 3, 4, 5},
                )
            )
        )
    if data.actions:
        rows = [[offer, channel, f"{count:,}"] for offer, channel, count in data.actions[:15]]
        out.append(
            "<h2>Next best actions</h2>"
            + _card(
                _table(["offer", "channel", "guests"], rows, {2}),
                "Channel none / front_desk: no marketing consent (or unsubscribed).",
            )
        )
    return "".join(out)


def _business_section(data: ReportData) -> str:
    if not data.monthly:
        return ""
    months = [row["month_start"] for row in data.monthly]
    xs = list(range(len(months)))
    step = max(1, len(months) // 8)
    ticks = xs[::step]
    labels = [str(months[i])[:7] for i in ticks]
    charts = []
    if "revenue" in data.monthly[0]:
        charts.append(
            line_chart(
                [
                    Series(
                        "revenue", xs, [float(r["revenue"] or 0) for r in data.monthly], PALETTE[0]
                    )
                ],
                title="Revenue by month",
                x_label="month",
                y_label="revenue",
                x_ticks=ticks,
                x_tick_labels=labels,
                legend=False,
            )
        )
        charts.append(
            line_chart(
                [
                    Series(
                        "repeat-guest share",
                        xs,
                        [_nan(r.get("repeat_guest_share")) for r in data.monthly],
                        PALETTE[2],
                    ),
                    Series(
                        "cancellation rate",
                        xs,
                        [_nan(r.get("cancellation_rate")) for r in data.monthly],
                        PALETTE[4],
                    ),
                ],
                title="Repeat-guest share and cancellation rate by month",
                x_label="month",
                y_label="share",
                y_range=(0, 1),
                x_ticks=ticks,
                x_tick_labels=labels,
                y_format=fmt_percent,
            )
        )
    else:
        charts.append(
            line_chart(
                [
                    Series(
                        "churn rate", xs, [_nan(r["churn_rate"]) for r in data.monthly], PALETTE[4]
                    )
                ],
                title="Observed churn rate by snapshot",
                x_label="snapshot",
                y_label="churned within the horizon",
                y_range=(0, 1),
                x_ticks=ticks,
                x_tick_labels=labels,
                y_format=fmt_percent,
                legend=False,
            )
        )
        charts.append(
            line_chart(
                [
                    Series(
                        "revenue in horizon",
                        xs,
                        [float(r["future_revenue"] or 0) for r in data.monthly],
                        PALETTE[0],
                    )
                ],
                title="Revenue in the horizon after each snapshot",
                x_label="snapshot",
                y_label="revenue",
                x_ticks=ticks,
                x_tick_labels=labels,
                legend=False,
            )
        )
    cards = "".join(_card(chart, f"source: {data.monthly_source}") for chart in charts)
    return f'<h2>Business over time</h2><div class="cards">{cards}</div>'


def _reviews_section(data: ReportData) -> str:
    cards = []
    if data.sentiment_by_month:
        months = sorted({month for _, month, _, _ in data.sentiment_by_month})
        index = {month: i for i, month in enumerate(months)}
        step = max(1, len(months) // 8)
        ticks = list(range(len(months)))[::step]
        series = []
        names = sorted({name for name, _, _, _ in data.sentiment_by_month})
        for k, name in enumerate(names):
            rows = [row for row in data.sentiment_by_month if row[0] == name]
            series.append(
                Series(
                    name,
                    [index[month] for _, month, _, _ in rows],
                    [float(mean) for _, _, mean, _ in rows],
                    PALETTE[k % len(PALETTE)],
                )
            )
        cards.append(
            _card(
                line_chart(
                    series,
                    title="Mean review sentiment by month",
                    x_label="month submitted",
                    y_label="sentiment (-1 .. 1)",
                    y_range=(-1, 1),
                    x_ticks=ticks,
                    x_tick_labels=[str(months[i])[:7] for i in ticks],
                    legend_corner="bottom-right",
                ),
                "source: review_sentiment (properties with the most reviews); 0 is the midpoint "
                "of the scale (NPS 5, rating 3)",
            )
        )
    if data.complaint_topics:
        rows = []
        for topic, negative, share, last_3, previous_3, complaints in data.complaint_topics[:10]:
            if previous_3:
                trend = f"{(last_3 - previous_3) / previous_3:+.0%}"
            else:
                trend = "new" if last_3 else ""
            share_text = "" if share is None else f"{float(share):.0%}"
            rows.append(
                [topic, f"{negative:,}", share_text, f"{last_3:,}", trend, f"{complaints:,}"]
            )
        cards.append(
            _card(
                _table(
                    [
                        "topic",
                        "negative mentions",
                        "of mentions",
                        "last 3 months",
                        "vs 3 before",
                        "complaints logged",
                    ],
                    rows,
                    {1, 2, 3, 4, 5},
                ),
                "Top complaint topics over the 12 months up to as_of "
                "(review_topics_by_property): negative review mentions and logged complaints.",
            )
        )
    if not cards:
        return ""
    return f'<h2>What guests write</h2><div class="cards">{"".join(cards)}</div>'


def _campaigns_section(data: ReportData) -> str:
    if not data.campaigns:
        return ""

    def money(value: object) -> str:
        return "" if value is None else f"{float(value):,.0f}"

    rows = []
    for c in data.campaigns:
        interval = (
            ""
            if c["lift"] is None
            else f"{c['lift']:+.3f} [{c['lift_lower_95']:+.3f}, {c['lift_upper_95']:+.3f}]"
        )
        rows.append(
            [
                c["campaign_id"] + ("" if c["is_window_complete"] else " (open)"),
                f"{c['guests']:,}",
                interval,
                c["significance"] or "",
                f"{money(c['incremental_revenue'])} [{money(c['incremental_revenue_lower_95'])}, "
                f"{money(c['incremental_revenue_upper_95'])}]",
                money(c["last_touch_revenue"]),
                money(c["linear_revenue"]),
                money(c["offer_cost"]),
                "" if c["roi"] is None else f"{float(c['roi']):+.0%}",
            ]
        )
    cards = [
        _card(
            _table(
                [
                    "campaign",
                    "contacted",
                    "lift in return rate [95%]",
                    "",
                    "incremental revenue [95%] (holdout)",
                    "attributed, last touch",
                    "attributed, linear",
                    "offer cost",
                    "ROI",
                ],
                rows,
                {1, 4, 5, 6, 7, 8},
            ),
            "campaign_results (treatment against the randomized holdout) beside "
            "campaign_attribution: attribution credits every stay a campaign touched, only the "
            "holdout says what the campaign changed.",
        )
    ]
    if data.what_if:
        what_rows = [
            [
                r.strategy,
                f"{r.offers:,}",
                f"{r.incremental_stays:.1f} [{r.incremental_stays_lower_95:.1f}, "
                f"{r.incremental_stays_upper_95:.1f}]",
                f"{money(r.incremental_revenue)} [{money(r.incremental_revenue_lower_95)}, "
                f"{money(r.incremental_revenue_upper_95)}]",
            ]
            for r in data.what_if
        ]
        cards.append(
            _card(
                _table(
                    ["targeting", "offers", "incremental stays [95%]", "incremental revenue [95%]"],
                    what_rows,
                    {1, 2, 3},
                ),
                "What-if: " + data.what_if_note,
            )
        )
    elif data.what_if_note:
        cards.append(_card(f"<p>{_esc(data.what_if_note)}</p>"))
    title = "Campaigns: measured lift, attribution, what-if"
    return f'<h2>{title}</h2><div class="cards">{"".join(cards)}</div>'


def _nan(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def write_report(layout: Layout, settings: Settings, output: Path | None = None) -> Path:
    """Build the report and write it (default ``<data>/reports/report.html``)."""
    target = output or layout.data_dir / "reports" / "report.html"
    page = render(collect(layout, settings))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
