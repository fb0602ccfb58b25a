"""Training run: read labeled snapshots from the gold build, fit, evaluate, register."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np

from guestloyalty.config import Settings
from guestloyalty.scoring import churn, clv, features, registry
from guestloyalty.warehouse import Layout, connect


@dataclass(frozen=True)
class TrainResult:
    version: str
    churn_metrics: dict[str, float]
    clv_metrics: dict[str, float]
    train_rows: int
    valid_rows: int
    valid_snapshot: dt.date
    promoted: bool
    note: str


def train_models(layout: Layout, settings: Settings) -> TrainResult:
    """Fit churn and CLV on older snapshots, validate on the latest labeled one, register."""
    with connect(layout.gold_build_path, read_only=True) as con:
        labeled = features.load_labeled(con)
    started = time.perf_counter()
    split = churn.time_split(labeled, max_rows=settings.max_training_rows, seed=settings.seed)
    churn_booster = churn.train_churn(split, seed=settings.seed)
    churn_prob = churn.predict_churn(churn_booster, split.valid)
    churn_scores = churn.churn_metrics(split.valid.churned, churn_prob)
    clv_booster = clv.train_clv(split, seed=settings.seed)
    clv_pred = clv.predict_clv(clv_booster, split.valid)
    clv_scores = clv.clv_metrics(split.valid.future_revenue, clv_pred)
    seconds = time.perf_counter() - started

    promoted = churn_scores["auc"] >= settings.min_churn_auc
    note = (
        "promoted"
        if promoted
        else f"not promoted: validation AUC {churn_scores['auc']:.3f} "
        f"below the floor {settings.min_churn_auc:.2f}"
    )
    version = registry.new_version()
    train_snapshots = [str(d) for d in np.unique(split.train.snapshot_date)]
    valid_snapshot = split.valid_snapshot.astype("datetime64[D]").astype(dt.date)
    registry.save_bundle(
        layout,
        version,
        {
            "churn.ubj": bytes(churn_booster.save_raw("ubj")),
            "clv.ubj": bytes(clv_booster.save_raw("ubj")),
        },
        meta={
            "features": list(features.FEATURES),
            "churn_best_iteration": churn_booster.best_iteration,
            "clv_best_iteration": clv_booster.best_iteration,
            "horizon_days": settings.horizon_days,
            "metrics": {"churn": churn_scores, "clv": clv_scores},
        },
    )
    trained_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    common = {
        "model_version": version,
        "features": list(features.FEATURES),
        "train_snapshots": train_snapshots,
        "valid_snapshot": valid_snapshot,
        "train_rows": len(split.train),
        "valid_rows": len(split.valid),
        "training_seconds": seconds,
        "trained_at": trained_at,
        "is_promoted": promoted,
        "note": note,
    }
    registry.record(
        layout,
        [
            {
                **common,
                "model_name": "churn",
                "algorithm": "xgboost binary:logistic",
                "parameters": churn.CHURN_PARAMS,
                "metrics": churn_scores,
            },
            {
                **common,
                "model_name": "clv",
                "algorithm": "xgboost reg:tweedie",
                "parameters": clv.CLV_PARAMS,
                "metrics": clv_scores,
            },
        ],
    )
    if promoted:
        registry.promote(layout, version)
    return TrainResult(
        version=version,
        churn_metrics=churn_scores,
        clv_metrics=clv_scores,
        train_rows=len(split.train),
        valid_rows=len(split.valid),
        valid_snapshot=valid_snapshot,
        promoted=promoted,
        note=note,
    )
