"""Training run: read labeled snapshots from the gold build, fit, evaluate, gate, register.

0. What is read is bounded whatever the size of the guest base (:func:`sample_plan`): about
   ``CHURN_MAX_ROWS`` rows over the training snapshots, ``EVAL_MAX_ROWS`` from each of the
   calibration and validation snapshots and ``CURRENT_MAX_GUESTS`` from the current one, drawn
   in SQL by a seeded hash of guest id and snapshot date (``features.row_sample_sql``), and
   only the stays of the guests read.
1. The buy-till-you-die baseline is fitted on every snapshot's own history (stays before the
   snapshot date; its parameters on a guest sample of about ``BTYD_FIT_GUESTS``) and its
   outputs become extra features.
2. With at least two labeled snapshots: churn (xgboost, early-stopped and calibrated on the
   second-latest labeled snapshot) and CLV (xgboost Tweedie) are fitted on the older ones and
   measured on the latest, next to the baseline. Otherwise the baseline itself is the model
   (``mode = "btyd"``) and the registry says why.
3. Segments (k-means) are fitted on the current snapshot.
4. Gate: a churn model whose validation AUC is below ``Settings.min_churn_auc``, or more than
   ``Settings.max_auc_drop`` below the promoted model's AUC on the same validation snapshot, is
   registered but not promoted; scoring keeps the promoted one.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import numpy as np

from guestloyalty.config import Settings
from guestloyalty.errors import GuestLoyaltyError, TrainingError
from guestloyalty.evaluation import drift
from guestloyalty.models import baseline, churn, clv, features, registry, stay_models, survival
from guestloyalty.models.features import FeatureFrame
from guestloyalty.training import selection
from guestloyalty.warehouse import Layout, connect

#: Fewer labeled rows than this (or one class only) and the baseline is used instead.
MIN_LABELED_ROWS = 200
#: The churn model is trained on at most this many rows (a sample), whatever the world size.
CHURN_MAX_ROWS = 100_000
#: Rows read from each of the calibration and validation snapshots (a guest sample when they
#: hold more): plenty to stop early, calibrate, and measure AUC to about +-0.003.
EVAL_MAX_ROWS = 50_000
#: Guests of the current snapshot read to fit the buy-till-you-die parameters, the CLV tier
#: cut-offs and the segments (a guest sample when there are more); scoring applies them to all.
CURRENT_MAX_GUESTS = 100_000
#: Guests whose stays fit the buy-till-you-die parameters of each snapshot (a guest sample when
#: the snapshot holds more); every guest read is then forecast with them.
BTYD_FIT_GUESTS = 10_000
#: Samples give about the rows asked for; a little over is drawn, ``time_split`` trims.
_OVERDRAW = 1.05


@dataclass(frozen=True)
class SamplePlan:
    """Which share of each snapshot's rows (``features.row_sample_sql``) is read, and which
    share of the guests (``features.guest_sample_sql``) fits the baseline's parameters."""

    labeled: dict[dt.date, float]
    current: float
    btyd_fit: float


def sample_plan(
    counts: dict[dt.date, int],
    current_rows: int,
    *,
    train_rows: int,
    eval_rows: int = EVAL_MAX_ROWS,
    current_guests: int = CURRENT_MAX_GUESTS,
    btyd_fit_guests: int = BTYD_FIT_GUESTS,
) -> SamplePlan:
    """Fractions that keep training, calibration, validation and current reads bounded.

    The training snapshots share one fraction (about ``train_rows`` rows over all of them);
    the calibration and validation snapshots each keep about ``eval_rows``; the current one
    about ``current_guests``. Snapshots that hold fewer rows are read whole.
    """

    def share(wanted: int, rows: int) -> float:
        return 1.0 if rows <= wanted else min(1.0, _OVERDRAW * wanted / rows)

    current = share(current_guests, current_rows)
    btyd_fit = share(btyd_fit_guests, max([current_rows, *counts.values()]))
    dates = np.array(sorted(counts), dtype="datetime64[D]")
    if len(dates) < 2:  # the baseline-only fallback: nothing to sample
        return SamplePlan(
            labeled={date: 1.0 for date in counts}, current=current, btyd_fit=btyd_fit
        )
    train_dates, calib_date, valid_date = churn.split_dates(dates)
    train_dates = [d.astype(dt.date) for d in train_dates]
    train_share = share(train_rows, sum(counts[d] for d in train_dates))
    labeled = {d: train_share for d in train_dates}
    for date in {calib_date.astype(dt.date), valid_date.astype(dt.date)}:
        labeled[date] = share(eval_rows, counts[date])
    return SamplePlan(labeled=labeled, current=current, btyd_fit=btyd_fit)


@dataclass(frozen=True)
class TrainResult:
    version: str
    mode: str  # "xgboost" or "btyd"
    churn_metrics: dict[str, float]
    clv_metrics: dict[str, float]
    baseline_churn_metrics: dict[str, float]
    baseline_clv_metrics: dict[str, float]
    train_rows: int
    valid_rows: int
    valid_snapshot: dt.date | None
    promoted: bool
    note: str
    extra: dict[str, object] = field(default_factory=dict)

    def details(self) -> dict[str, object]:
        """What the pipeline prints and logs about the run."""

        def r(metrics: dict[str, float], key: str) -> float | None:
            value = metrics.get(key)
            return None if value is None else round(float(value), 4)

        return {
            "model_version": self.version,
            "mode": self.mode,
            "promoted": self.promoted,
            "note": self.note,
            "churn_auc": r(self.churn_metrics, "auc"),
            "btyd_churn_auc": r(self.baseline_churn_metrics, "auc"),
            "churn_brier": r(self.churn_metrics, "brier"),
            "clv_spearman": r(self.clv_metrics, "spearman"),
            "btyd_clv_spearman": r(self.baseline_clv_metrics, "spearman"),
            "train_rows": self.train_rows,
            "valid_rows": self.valid_rows,
            "valid_snapshot": str(self.valid_snapshot),
            **self.extra,
        }


def _date(value: np.datetime64 | None) -> dt.date | None:
    return None if value is None else np.datetime64(value, "D").astype(dt.date)


def current_snapshot_date(as_of: dt.date) -> np.datetime64:
    return np.datetime64(as_of + dt.timedelta(days=1), "D")


def train_models(layout: Layout, settings: Settings) -> TrainResult:
    """Fit, evaluate, gate and register one version; promote it when it passes the gate."""
    started = time.perf_counter()
    seed = settings.seed
    with connect(layout.gold_build_path, read_only=True) as con:
        plan = sample_plan(
            features.labeled_counts(con),
            features.current_count(con),
            train_rows=min(settings.max_training_rows, CHURN_MAX_ROWS),
        )
        labeled = features.load_labeled(con, fractions=plan.labeled, seed=seed)
        current = features.load_current(con, fraction=plan.current, seed=seed)
        as_of = features.as_of_date(con)
    if len(current) == 0 and len(labeled) == 0:
        raise TrainingError(
            f"{layout.gold_build_path}: guest_feature_snapshots is empty; no guest has a stay "
            "before as_of"
        )
    stays = baseline.load_stays_from_layout(
        layout,
        fraction=plan.btyd_fit,
        guests=np.concatenate([labeled.guest_id, current.guest_id]),
        seed=seed,
    )
    current_fit = baseline.fit_sampled(
        stays,
        current_snapshot_date(as_of),
        horizon_days=settings.horizon_days,
        fit_fraction=plan.btyd_fit,
    )
    stage = _stay_stage(stays, settings, plan, current_snapshot_date(as_of), current_fit, current)
    fallback_reason = _fallback_reason(labeled)
    if fallback_reason is None:
        result = _train_xgboost(
            layout, settings, labeled, stays, current, current_fit, started, plan=plan, stage=stage
        )
    else:
        result = _train_baseline_only(
            layout, settings, current, current_fit, fallback_reason, started, stage=stage
        )
    return result


@dataclass
class StayStage:
    """The stay-log candidates: per-origin backtest rows, the final fit, current forecast."""

    table: list[dict[str, object]]
    final: stay_models.StayModels
    current: stay_models.StayForecast

    def with_validation(self, rows: list[dict[str, object]]) -> StayStage:
        return StayStage(table=[*self.table, *rows], final=self.final, current=self.current)


def _stay_stage(
    stays: baseline.StayLog,
    settings: Settings,
    plan: SamplePlan,
    cutoff: np.datetime64,
    current_fit: baseline.SnapshotFit,
    current: FeatureFrame,
) -> StayStage:
    """Backtest the stay-log candidates on the rolling origins; fit them on all history."""
    history = stay_models.before(stays, cutoff)
    table: list[dict[str, object]] = []
    if len(history):
        for origin in selection.rolling_origins(
            cutoff, history.check_in.min(), settings.horizon_days
        ):
            table += selection.backtest_origin(
                history,
                origin,
                fit_fraction=plan.btyd_fit,
                seed=settings.seed,
                threads=settings.model_threads,
            )
    final = stay_models.fit_stay_models(
        stays,
        cutoff,
        horizon_days=settings.horizon_days,
        fit_fraction=plan.btyd_fit,
        seed=settings.seed,
        threads=settings.model_threads,
        max_rows=survival.MAX_ROWS,
        fit=current_fit,
    )
    forecast = stay_models.forecast(
        final, current.guest_id, horizon_days=settings.horizon_days, threads=settings.model_threads
    )
    return StayStage(table=table, final=final, current=forecast)


def _next_stay_model(stage: StayStage, choice: selection.Choice) -> str | None:
    """The hazard model behind ``p_no_stay_horizon`` / ``next_stay_date_if_return``."""
    names = list(stage.final.hazard)
    if not names:
        return None
    if choice.churn in names:
        return choice.churn
    rolling = sorted({str(r["origin"]) for r in stage.table if r["kind"] == "rolling"})
    if rolling:
        latest = {str(r["candidate"]): r for r in stage.table if r["origin"] == rolling[-1]}
        scored = [name for name in names if name in latest]
        if scored:
            return max(scored, key=lambda name: float(latest[name]["churn_auc"]))
    return names[0]


def _stay_files(stage: StayStage, choice: selection.Choice) -> tuple[dict[str, bytes], dict]:
    """Hazard model artifacts and their manifest entries."""
    files = {f"{name}.json": survival.model_bytes(m) for name, m in stage.final.hazard.items()}
    meta = {
        "churn_source": choice.churn,
        "clv_source": choice.clv,
        "next_stay_model": _next_stay_model(stage, choice),
        "hazard_models": {
            name: survival.model_meta(model) for name, model in stage.final.hazard.items()
        },
        "selection": {"table": stage.table, "choice": choice.by_task, "note": choice.note},
    }
    return files, meta


def _stay_rows(
    common: dict[str, object], stage: StayStage, choice: selection.Choice
) -> list[dict[str, object]]:
    """Registry rows of the selection (the per-origin table) and the time-to-next-stay model."""
    rows = [
        {
            **common,
            "model_name": "selection",
            "algorithm": "rolling-origin backtest (per task: the winner at the latest origin, "
            "never one that loses to the baseline there)",
            "parameters": {"choice": choice.by_task},
            "features": [],
            "metrics": {"table": stage.table},
            "note": choice.note,
        }
    ]
    name = _next_stay_model(stage, choice)
    if name is not None:
        model = stage.final.hazard[name]
        rows.append(
            {
                **common,
                "model_name": "next_stay",
                "algorithm": _ALGORITHMS[name],
                "parameters": {**survival.HAZARD_PARAMS, **survival.model_meta(model)},
                "features": list(survival.SURVIVAL_FEATURES),
                "train_rows": model.train_rows,
                "metrics": _latest_metrics(stage.table, name),
            }
        )
    return rows


_ALGORITHMS = {
    "btyd": "bgnbd x gamma-gamma (baseline)",
    "survival": "discrete-time hazard of the next stay (xgboost on guest-periods)",
    "blend": "discrete-time hazard of the next stay, boosted from BG/NBD log-odds",
    "classifier": "xgboost binary:logistic + calibration / reg:tweedie",
}


def _latest_metrics(
    table: list[dict[str, object]], candidate: str, task: str | None = None
) -> dict[str, float]:
    """The candidate's and the baseline's figures at the latest origin it was scored on
    (``task``: only the churn or only the CLV figures)."""
    mine = [r for r in table if r["candidate"] == candidate]
    if not mine:
        return {}
    row = max(mine, key=lambda r: str(r["origin"]))
    base = next(
        (r for r in table if r["candidate"] == "btyd" and r["origin"] == row["origin"]), None
    )
    keys = ("churn_auc", "mae", "spearman", "capture_top10")
    if task == "churn":
        keys = ("churn_auc",)
    elif task == "clv":
        keys = ("mae", "spearman", "capture_top10")
    out = {k: float(row[k]) for k in keys}
    if "churn_auc" in out:
        out["auc"] = out["churn_auc"]  # the headline key of status and the report
    out["horizon_days"] = float(row["horizon_days"])
    if base is not None:
        out.update({f"btyd_{k}": float(base[k]) for k in keys})
    return out


def _fallback_reason(labeled: FeatureFrame) -> str | None:
    dates = churn.labeled_dates(labeled)
    if len(dates) < 2:
        return (
            f"{len(dates)} labeled snapshot(s): the data hold less than one horizon plus a "
            "month before as_of, too little to train and validate a model"
        )
    if len(labeled) < MIN_LABELED_ROWS:
        return f"only {len(labeled)} labeled rows (< {MIN_LABELED_ROWS})"
    if len(np.unique(labeled.churned)) < 2:
        return "churn labels are all one class"
    return None


def _segments(
    settings: Settings, current: FeatureFrame, layout: Layout
) -> dict[str, object] | None:
    """Fit segments on the current snapshot (None when there are too few guests)."""
    from guestloyalty.models import segments

    if len(current) < segments.MIN_GUESTS:
        return None
    previous = None
    with_previous = registry.load_promoted_artifact(layout, "segments.json")
    if with_previous is not None:
        previous = json.loads(with_previous)
    return segments.fit_segments(
        current,
        k_range=settings.segment_k_range,
        seed=settings.seed,
        previous=previous,
        sample=settings.segment_sample_rows,
        threads=settings.model_threads,
    )


def _train_xgboost(
    layout: Layout,
    settings: Settings,
    labeled: FeatureFrame,
    stays: baseline.StayLog,
    current: FeatureFrame,
    current_fit: baseline.SnapshotFit,
    started: float,
    *,
    plan: SamplePlan,
    stage: StayStage,
) -> TrainResult:
    labeled, _ = baseline.add_baseline_features(
        labeled, stays, horizon_days=settings.horizon_days, fit_fraction=plan.btyd_fit
    )
    max_rows = min(settings.max_training_rows, CHURN_MAX_ROWS)
    split = churn.time_split(labeled, max_rows=max_rows, seed=settings.seed)
    model_features = split.train.feature_names

    churn_booster = churn.train_churn(split, seed=settings.seed, threads=settings.model_threads)
    raw_calib = churn.raw_churn(churn_booster, split.calib)
    calibration = churn.fit_calibration(raw_calib, split.calib.churned)
    valid_prob = churn.apply_calibration(calibration, churn.raw_churn(churn_booster, split.valid))
    churn_scores = churn.churn_metrics(split.valid.churned, valid_prob)
    churn_scores["raw_brier"] = churn.metrics.brier(
        split.valid.churned, churn.raw_churn(churn_booster, split.valid)
    )
    base_churn = churn.churn_metrics(
        split.valid.churned, _fill(split.valid.column("btyd_p_no_stay"), 0.5)
    )

    clv_booster = clv.train_clv(split, seed=settings.seed, threads=settings.model_threads)
    base_clv = clv.clv_metrics(
        split.valid.future_revenue, _fill(split.valid.column("btyd_expected_spend"), 0.0)
    )

    # Every candidate on the classifier's validation guests, each fitted only on what was known
    # at that snapshot: the stay models on the stays before it, the classifier on labels cut
    # at it (the promoted classifier's own training labels overlap the validation window,
    # which flatters it wherever the world changes).
    honest = _classifier_at(labeled, stays, settings, max_rows=max_rows)
    stage = stage.with_validation(
        selection.backtest_origin(
            stays,
            selection.Origin(split.valid_snapshot, settings.horizon_days, "validation"),
            guest_ids=split.valid.guest_id,
            extra={}
            if honest is None
            else {"classifier": (honest[0], honest[2]), _PLAIN: (honest[0], honest[1])},
            fit_fraction=plan.btyd_fit,
            seed=settings.seed,
            threads=settings.model_threads,
        )
    )
    table, blended = _blend_or_plain(stage.table)
    stage = StayStage(table=table, final=stage.final, current=stage.current)
    return_revenue = clv.mean_return_revenue(split.calib) if blended else None
    clv_valid = clv.apply_blend(
        clv.predict_clv(clv_booster, split.valid), valid_prob, _blend_doc(return_revenue)
    )
    clv_scores = clv.clv_metrics(split.valid.future_revenue, clv_valid)
    choice = selection.choose(stage.table)
    gate_ok, gate_note, promoted_auc = _gate(layout, settings, split, churn_scores["auc"])
    if choice.churn == "classifier" and not gate_ok:
        choice = selection.choose([r for r in stage.table if r["candidate"] != "classifier"])
    note = f"{choice.note}; classifier gate: {gate_note}"
    if split.calib_is_valid:
        note += "; only 2 labeled snapshots: calibration and validation share the latest one"
    # The recipe is validated; the boosters scoring applies are refitted one snapshot fresher.
    refit = churn.refit_split(split)
    validated = (churn_booster, calibration, clv_booster, return_revenue)
    if refit is split or "classifier" not in (choice.churn, choice.clv):
        refit = split
    else:
        churn_booster = churn.train_churn(refit, seed=settings.seed, threads=settings.model_threads)
        calibration = churn.fit_calibration(
            churn.raw_churn(churn_booster, refit.calib), refit.calib.churned
        )
        clv_booster = clv.train_clv(refit, seed=settings.seed, threads=settings.model_threads)
        return_revenue = clv.mean_return_revenue(refit.calib) if blended else None
        note += (
            f"; boosters refitted for scoring with {_date(split.calib_snapshot)} in training, "
            f"stopped and calibrated on {_date(refit.calib_snapshot)}"
        )

    # Tier cut-offs and drift reference from the promoted models' own view of the data.
    current_b = current.with_columns(
        baseline.BTYD_FEATURES, baseline.align(current_fit, current.guest_id)
    )
    if choice.clv == "classifier" and len(current_b):
        current_prob = churn.apply_calibration(
            calibration, churn.raw_churn(churn_booster, current_b.select(model_features))
        )
        tiers = clv.tier_cutoffs(
            clv.apply_blend(
                clv.predict_clv(clv_booster, current_b), current_prob, _blend_doc(return_revenue)
            )
        )
    elif choice.clv == "classifier":
        tiers = clv.tier_cutoffs(clv_valid)
    else:
        tiers = clv.tier_cutoffs(_current_clv(stage, choice.clv))
    # Drift thresholds from the shift the later snapshots the model was judged on show.
    drift_ref = drift.reference(
        split.train.X,
        model_features,
        snapshot_dates=split.train.snapshot_date,
        origins=[
            drift.Origin(split.calib.X, _date(split.calib_snapshot)),
            drift.Origin(split.valid.X, _date(split.valid_snapshot)),
        ],
    )
    segment_doc = _segments(settings, current, layout)
    seconds = time.perf_counter() - started
    mode = "xgboost" if choice.churn == "classifier" else choice.churn

    version = registry.new_version()
    train_snapshots = [str(_date(d)) for d in np.unique(refit.train.snapshot_date)]
    valid_snapshot = _date(split.valid_snapshot)
    files = {
        "churn.json": bytes(churn_booster.save_raw("json")),
        "clv.json": bytes(clv_booster.save_raw("json")),
        "calibration.json": _json(calibration),
        "btyd.json": _json(baseline.params_json(current_fit)),
        "drift.json": _json(drift_ref),
        "tiers.json": _json({"tiers": tiers}),
    }
    if segment_doc is not None:
        files["segments.json"] = _json(segment_doc)
    validated_meta = {}
    if refit is not split:  # the boosters the validation figures (and the report) come from
        files["churn_validated.json"] = bytes(validated[0].save_raw("json"))
        files["calibration_validated.json"] = _json(validated[1])
        files["clv_validated.json"] = bytes(validated[2].save_raw("json"))
        validated_meta = {
            "validated": {
                "churn_best_iteration": validated[0].best_iteration,
                "clv_best_iteration": validated[2].best_iteration,
                "clv_blend": _blend_doc(validated[3]),
            }
        }
    stay_files, stay_meta = _stay_files(stage, choice)
    files.update(stay_files)
    registry.save_bundle(
        layout,
        version,
        files,
        meta={
            **stay_meta,
            **validated_meta,
            "mode": mode,
            "features": list(model_features),
            "churn_features": list(model_features),
            "clv_features": list(model_features),
            "churn_best_iteration": churn_booster.best_iteration,
            "clv_best_iteration": clv_booster.best_iteration,
            "clv_blend": _blend_doc(return_revenue),
            "horizon_days": settings.horizon_days,
            "valid_snapshot": str(valid_snapshot),
            "calib_snapshot": str(_date(refit.calib_snapshot)),
            "metrics": {
                "churn": churn_scores,
                "clv": clv_scores,
                "btyd_churn": base_churn,
                "btyd_clv": base_clv,
            },
        },
    )
    common = {
        "model_version": version,
        "features": list(model_features),
        "train_snapshots": train_snapshots,
        "valid_snapshot": valid_snapshot,
        "train_rows": len(refit.train),
        "valid_rows": len(split.valid),
        "training_seconds": seconds,
        "trained_at": _now(),
        "is_promoted": True,
        "note": note,
    }
    window = {"calib_snapshot": str(_date(refit.calib_snapshot))}
    churn_row = {
        **common,
        "model_name": "churn",
        "algorithm": f"xgboost binary:logistic + {calibration['method']} calibration",
        "parameters": {
            **churn.CHURN_PARAMS,
            "best_iteration": churn_booster.best_iteration,
            **window,
            "promoted_auc_on_same_snapshot": promoted_auc,
        },
        "metrics": {**churn_scores, "btyd_auc": base_churn["auc"]},
    }
    clv_row = {
        **common,
        "model_name": "clv",
        "algorithm": "xgboost reg:tweedie"
        + (", geometric mean with P(return) x mean return revenue" if blended else ""),
        "parameters": {
            **clv.CLV_PARAMS,
            "best_iteration": clv_booster.best_iteration,
            "mean_return_revenue": return_revenue,
        },
        "metrics": {**clv_scores, **{f"btyd_{k}": v for k, v in base_clv.items()}},
    }
    rows = [
        churn_row
        if choice.churn == "classifier"
        else _stay_task_row(common, stage, choice, "churn"),
        clv_row if choice.clv == "classifier" else _stay_task_row(common, stage, choice, "clv"),
        _btyd_row(common, current_fit, base_churn, base_clv),
        *_stay_rows(common, stage, choice),
    ]
    if segment_doc is not None:
        rows.append(_segments_row(common, segment_doc))
    registry.record(layout, rows)
    registry.promote(layout, version)
    return TrainResult(
        version=version,
        mode=mode,
        churn_metrics=churn_scores,
        clv_metrics=clv_scores,
        baseline_churn_metrics=base_churn,
        baseline_clv_metrics=base_clv,
        train_rows=len(split.train),
        valid_rows=len(split.valid),
        valid_snapshot=valid_snapshot,
        promoted=True,
        note=note,
        extra={**_segment_extra(segment_doc), **_choice_extra(choice, stage)},
    )


def _classifier_at(
    labeled: FeatureFrame, stays: baseline.StayLog, settings: Settings, *, max_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The classifier pair as the validation snapshot would have had it: its labels may not
    reach past that snapshot. Each earlier snapshot's label window is cut at the validation
    snapshot (churned: no stay in between; revenue scaled up to the horizon), windows of at
    least half a horizon only; stopped early and calibrated on the latest of them. Returns the
    churn probability, the regression's CLV and the CLV blended with the churn model for the
    validation snapshot's rows (None: too little history)."""
    import dataclasses

    dates = churn.labeled_dates(labeled)
    valid = dates[-1]
    window = (valid - dates).astype("timedelta64[D]").astype(np.int64)
    usable = dates[(window >= settings.horizon_days / 2) & (window > 0)]
    if len(usable) < 2:
        return None
    churned = np.full(len(labeled), np.nan, dtype=np.float32)
    revenue = np.zeros(len(labeled), dtype=np.float32)
    for date in usable:
        rows = np.flatnonzero(labeled.snapshot_date == date)
        days = int((valid - date).astype("timedelta64[D]").astype(np.int64))
        gone, spent = selection.outcomes(stays, labeled.guest_id[rows], date, days)
        churned[rows] = gone
        revenue[rows] = spent * (settings.horizon_days / days)
    # train: the older usable snapshots; calibration: the latest; validation: its own rows
    keep = np.isin(labeled.snapshot_date, [*usable, valid])
    cut = dataclasses.replace(labeled, churned=churned, future_revenue=revenue).subset(keep)
    split = churn.time_split(cut, max_rows=max_rows, seed=settings.seed)
    if len(split.train) < MIN_LABELED_ROWS or len(np.unique(split.train.churned)) < 2:
        return None
    booster = churn.train_churn(split, seed=settings.seed, threads=settings.model_threads)
    calibration = churn.fit_calibration(churn.raw_churn(booster, split.calib), split.calib.churned)
    prob = churn.apply_calibration(calibration, churn.raw_churn(booster, split.valid))
    value = clv.predict_clv(
        clv.train_clv(split, seed=settings.seed, threads=settings.model_threads), split.valid
    )
    return prob, value, clv.blend_with_churn(value, prob, clv.mean_return_revenue(split.calib))


#: The classifier's CLV without the blend with its churn model, judged beside it.
_PLAIN = "classifier_plain"


def _blend_or_plain(table: list[dict[str, object]]) -> tuple[list[dict[str, object]], bool]:
    """Whether the classifier's CLV is blended with its churn model (``clv.blend_with_churn``),
    and the table with one ``classifier`` row per origin. The blend is kept unless, on the
    validation snapshot, it loses to the baseline on a CLV figure where the regression alone
    does not (the blend trades a little MAE for ranking)."""
    valid = [r for r in table if r["kind"] == "validation"]
    latest = max((str(r["origin"]) for r in valid), default=None)
    rows = {str(r["candidate"]): r for r in valid if r["origin"] == latest}
    blended = True
    if {"classifier", _PLAIN, "btyd"} <= set(rows):
        base = rows["btyd"]
        blended = selection.beats_baseline(
            rows["classifier"], base, "clv"
        ) or not selection.beats_baseline(rows[_PLAIN], base, "clv")
    out = []
    for row in table:
        if row["candidate"] == _PLAIN:
            if not blended:
                out.append({**row, "candidate": "classifier"})
        elif not (row["candidate"] == "classifier" and not blended and row["origin"] == latest):
            out.append(row)
    return out, blended


def _blend_doc(return_revenue: float | None) -> dict[str, object] | None:
    """The manifest's ``clv_blend`` (None: the regression alone)."""
    if return_revenue is None:
        return None
    return {"method": "geometric_with_churn", "mean_return_revenue": return_revenue}


def _train_baseline_only(
    layout: Layout,
    settings: Settings,
    current: FeatureFrame,
    current_fit: baseline.SnapshotFit,
    reason: str,
    started: float,
    *,
    stage: StayStage,
) -> TrainResult:
    """No labeled snapshot for the classifier: the stay-log candidates compete (the hazard
    models learn from every closed period), and BG/NBD x Gamma-Gamma win unless beaten."""
    if not current_fit.ok and not stage.final.hazard:
        raise TrainingError(
            f"cannot train: {reason}; and the buy-till-you-die fallback failed too "
            f"({current_fit.problem})"
        )
    choice = selection.choose(stage.table)
    if not current_fit.ok:  # no baseline to compare with: the hazard models alone
        name = next(iter(stage.final.hazard))
        choice = selection.Choice(
            churn=name,
            clv="btyd",
            note=f"churn: {name} (the baseline failed: {current_fit.problem})",
            by_task={"churn": {"candidate": name, "why": "baseline failed"}},
        )
    current_b = current.with_columns(
        baseline.BTYD_FEATURES, baseline.align(current_fit, current.guest_id)
    )
    tiers = clv.tier_cutoffs(_current_clv(stage, choice.clv))
    segment_doc = _segments(settings, current, layout)
    seconds = time.perf_counter() - started
    version = registry.new_version()
    mode = choice.churn
    if mode == "btyd" and choice.clv == "btyd":
        note = f"fallback to BG/NBD x Gamma-Gamma: {reason}; {choice.note}"
    else:
        note = f"no classifier ({reason}); {choice.note}"
    files = {
        "btyd.json": _json(baseline.params_json(current_fit)),
        "drift.json": _json(drift.reference(current_b.X, current_b.feature_names)),
        "tiers.json": _json({"tiers": tiers}),
    }
    if segment_doc is not None:
        files["segments.json"] = _json(segment_doc)
    stay_files, stay_meta = _stay_files(stage, choice)
    files.update(stay_files)
    registry.save_bundle(
        layout,
        version,
        files,
        meta={
            **stay_meta,
            "mode": mode,
            "features": list(current_b.feature_names),
            "horizon_days": settings.horizon_days,
            "fallback_reason": reason,
        },
    )
    common = {
        "model_version": version,
        "features": list(baseline.BTYD_FEATURES),
        "train_snapshots": [str(_date(current_fit.snapshot_date))],
        "valid_snapshot": None,
        "train_rows": len(current),
        "valid_rows": 0,
        "training_seconds": seconds,
        "trained_at": _now(),
        "is_promoted": True,
        "note": note,
    }
    rows = [
        _stay_task_row(common, stage, choice, "churn"),
        _stay_task_row(common, stage, choice, "clv"),
        _btyd_row(common, current_fit, {}, {}),
        *_stay_rows(common, stage, choice),
    ]
    if segment_doc is not None:
        rows.append(_segments_row(common, segment_doc))
    registry.record(layout, rows)
    registry.promote(layout, version)
    return TrainResult(
        version=version,
        mode=mode,
        churn_metrics={},
        clv_metrics={},
        baseline_churn_metrics={},
        baseline_clv_metrics={},
        train_rows=len(current),
        valid_rows=0,
        valid_snapshot=None,
        promoted=True,
        note=note,
        extra={**_segment_extra(segment_doc), **_choice_extra(choice, stage)},
    )


def _current_clv(stage: StayStage, source: str) -> np.ndarray:
    """The current sample's CLV from a stay-log candidate (what the tier cut-offs come from)."""
    values = stage.current.clv.get(source, stage.current.clv["btyd"])
    return np.where(np.isnan(values), 0.0, values)


def _stay_task_row(
    common: dict[str, object], stage: StayStage, choice: selection.Choice, task: str
) -> dict[str, object]:
    """The registry row of a task won by a stay-log candidate (or the baseline)."""
    source = choice.churn if task == "churn" else choice.clv
    what = "P(no stay in horizon)" if task == "churn" else "expected spend in horizon"
    algorithm = f"{_ALGORITHMS[source]}: {what}"
    if source == "btyd":
        algorithm += " [baseline is the model]"
    model = stage.final.hazard.get(source)
    return {
        **common,
        "model_name": task,
        "algorithm": algorithm,
        "parameters": (
            survival.model_meta(model)
            if model is not None
            else baseline.params_json(stage.final.fit)
        ),
        "metrics": _latest_metrics(stage.table, source, task),
        "note": f"{choice.by_task.get(task, {}).get('why', '')}; {common['note']}",
    }


def _choice_extra(choice: selection.Choice, stage: StayStage) -> dict[str, object]:
    return {
        "churn_source": choice.churn,
        "clv_source": choice.clv,
        "selection_origins": sorted({str(r["origin"]) for r in stage.table}),
    }


def _segment_extra(doc: dict[str, object] | None) -> dict[str, object]:
    if doc is None:
        return {"segments": "rules (too few guests for k-means)"}
    return {
        "segments": ", ".join(doc["names"]),
        "segments_k": doc["k"],
        "silhouette": round(float(doc["summary"]["silhouette"]), 3),
    }


def _gate(
    layout: Layout, settings: Settings, split: churn.TimeSplit, auc: float
) -> tuple[bool, str, float | None]:
    """(promote?, why, the promoted model's AUC on this validation snapshot)."""
    if not np.isfinite(auc) or auc < settings.min_churn_auc:
        return (
            False,
            f"not promoted: validation AUC {auc:.3f} below the floor {settings.min_churn_auc:.2f}",
            None,
        )
    promoted_auc = _promoted_auc(layout, split)
    if promoted_auc is not None and auc < promoted_auc - settings.max_auc_drop:
        return (
            False,
            f"not promoted: validation AUC {auc:.3f} is more than {settings.max_auc_drop:.2f} "
            f"below the promoted model's {promoted_auc:.3f} on the same snapshot",
            promoted_auc,
        )
    if promoted_auc is None:
        return True, f"promoted: validation AUC {auc:.3f}", None
    return (
        True,
        f"promoted: validation AUC {auc:.3f} (promoted model: {promoted_auc:.3f})",
        promoted_auc,
    )


def _promoted_auc(layout: Layout, split: churn.TimeSplit) -> float | None:
    """AUC of the promoted churn model on this run's validation snapshot, if comparable."""
    try:
        bundle = registry.load_promoted(layout)
    except GuestLoyaltyError:
        return None
    if bundle.manifest.get("mode") != "xgboost":
        return None
    from guestloyalty.scoring.score import load_churn

    try:
        booster, calibration, names = load_churn(bundle)
        frame = split.valid.select(names)
    except (GuestLoyaltyError, ValueError, KeyError):
        return None
    prob = churn.apply_calibration(calibration, churn.raw_churn(booster, frame))
    return churn.metrics.roc_auc(split.valid.churned, prob)


def _btyd_row(
    common: dict[str, object],
    fit: baseline.SnapshotFit,
    churn_scores: dict[str, float],
    clv_scores: dict[str, float],
) -> dict[str, object]:
    return {
        **common,
        "model_name": "btyd",
        "algorithm": "bgnbd x gamma-gamma (baseline)",
        "parameters": baseline.params_json(fit),
        "features": ["frequency", "recency", "T", "monetary"],
        "metrics": {
            **{f"churn_{k}": v for k, v in churn_scores.items()},
            **{f"clv_{k}": v for k, v in clv_scores.items()},
        },
        "is_promoted": common["is_promoted"],
    }


def _segments_row(common: dict[str, object], doc: dict[str, object]) -> dict[str, object]:
    return {
        **common,
        "model_name": "segments",
        "algorithm": "k-means on standardised behaviour",
        "parameters": {"k": doc["k"], "k_range": doc["k_range"], "names": doc["names"]},
        "features": doc["features"],
        "metrics": doc.get("summary", {}),
    }


def _fill(values: np.ndarray, default: float) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(values), default, values)


def _json(document: object) -> bytes:
    return json.dumps(document, indent=1, default=_default).encode()


def _default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
