"""CLV: revenue in the horizon after the snapshot, from xgboost with a Tweedie objective."""

from __future__ import annotations

import numpy as np

from guestloyalty.scoring import metrics
from guestloyalty.scoring.churn import TimeSplit

CLV_PARAMS: dict[str, object] = {
    "objective": "reg:tweedie",
    "tweedie_variance_power": 1.3,
    "eval_metric": "mae",
    "max_depth": 5,
    "eta": 0.08,
    "subsample": 0.9,
    "min_child_weight": 5,
    "tree_method": "hist",
    "nthread": 2,
}


def train_clv(split: TimeSplit, *, seed: int):  # noqa: ANN201 - returns xgboost.Booster
    import xgboost as xgb

    names = list(split.train.feature_names)
    dtrain = xgb.DMatrix(split.train.X, label=split.train.future_revenue, feature_names=names)
    dvalid = xgb.DMatrix(split.valid.X, label=split.valid.future_revenue, feature_names=names)
    return xgb.train(
        {**CLV_PARAMS, "seed": seed},
        dtrain,
        num_boost_round=300,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=30,
        verbose_eval=False,
    )


def predict_clv(booster, frame) -> np.ndarray:  # noqa: ANN001
    import xgboost as xgb

    matrix = xgb.DMatrix(frame.X, feature_names=list(frame.feature_names))
    pred = booster.predict(matrix, iteration_range=(0, booster.best_iteration + 1))
    return np.maximum(pred, 0.0)


def clv_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(np.mean(np.abs(actual - predicted))),
        "spearman": metrics.spearman(actual, predicted),
        "capture_top10": metrics.top_share_capture(actual, predicted, share=0.1),
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual.sum()),
    }
