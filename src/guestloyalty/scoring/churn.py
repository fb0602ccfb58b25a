"""Churn: xgboost on labeled point-in-time snapshots, validated on the latest labeled one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.errors import TrainingError
from guestloyalty.scoring import metrics
from guestloyalty.scoring.features import FeatureFrame

CHURN_PARAMS: dict[str, object] = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 5,
    "eta": 0.08,
    "subsample": 0.9,
    "colsample_bytree": 0.9,
    "min_child_weight": 5,
    "tree_method": "hist",
    "nthread": 2,
}
NUM_ROUNDS = 300


@dataclass(frozen=True)
class TimeSplit:
    """Older labeled snapshots for training, the latest labeled one for validation."""

    train: FeatureFrame
    valid: FeatureFrame
    valid_snapshot: np.datetime64


def time_split(frame: FeatureFrame, *, max_rows: int, seed: int) -> TimeSplit:
    """Never a random split across time: validation is the latest labeled snapshot."""
    dates = np.unique(frame.snapshot_date)
    if len(dates) < 2:
        raise TrainingError(
            f"need at least 2 labeled snapshots to train and validate, found {len(dates)}: "
            "the data cover less than one horizon plus a month before as_of"
        )
    latest = dates[-1]
    train = frame.subset(frame.snapshot_date < latest)
    valid = frame.subset(frame.snapshot_date == latest)
    if len(train) > max_rows:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(train), size=max_rows, replace=False))
        train = train.subset(keep)
    return TimeSplit(train=train, valid=valid, valid_snapshot=latest)


def train_churn(split: TimeSplit, *, seed: int):  # noqa: ANN201 - returns xgboost.Booster
    """Fit the churn booster with early stopping on the validation snapshot."""
    import xgboost as xgb

    y_train, y_valid = split.train.churned, split.valid.churned
    if len(np.unique(y_train)) < 2:
        raise TrainingError("churn labels in the training snapshots are all one class")
    names = list(split.train.feature_names)
    dtrain = xgb.DMatrix(split.train.X, label=y_train, feature_names=names)
    dvalid = xgb.DMatrix(split.valid.X, label=y_valid, feature_names=names)
    params = {**CHURN_PARAMS, "seed": seed}
    return xgb.train(
        params,
        dtrain,
        num_boost_round=NUM_ROUNDS,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=30,
        verbose_eval=False,
    )


def predict_churn(booster, frame: FeatureFrame) -> np.ndarray:  # noqa: ANN001
    import xgboost as xgb

    matrix = xgb.DMatrix(frame.X, feature_names=list(frame.feature_names))
    return booster.predict(matrix, iteration_range=(0, booster.best_iteration + 1))


def churn_metrics(y_true: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score

    return {
        "auc": metrics.roc_auc(y_true, prob),
        "pr_auc": float(average_precision_score(y_true, prob)),
        "brier": metrics.brier(y_true, prob),
        "log_loss": metrics.log_loss(y_true, prob),
        "lift_top10": metrics.lift_at(y_true, prob, share=0.1),
        "capture_top10": metrics.top_share_capture(y_true, prob, share=0.1),
        "base_rate": float(np.mean(y_true)),
        "rows": float(len(y_true)),
    }


def risk_band(prob: np.ndarray, *, medium: float, high: float, critical: float) -> np.ndarray:
    """LOW / MEDIUM / HIGH / CRITICAL from probability cut-offs."""
    bands = np.array(["LOW", "MEDIUM", "HIGH", "CRITICAL"], dtype=object)
    return bands[np.digitize(prob, [medium, high, critical])]
