"""CLV: revenue in the horizon after the snapshot, from xgboost with a Tweedie objective.

Inputs are the snapshot features plus the buy-till-you-die outputs (expected stays, P(no stay),
expected spend). The booster stops early on the calibration snapshot and is judged on the
latest labeled one, next to the BG/NBD x Gamma-Gamma forecast. Predictions are never negative.
"""

from __future__ import annotations

import numpy as np

from guestloyalty.evaluation import metrics
from guestloyalty.models.churn import EARLY_STOPPING_ROUNDS, TimeSplit
from guestloyalty.models.features import FeatureFrame

CLV_PARAMS: dict[str, object] = {
    "objective": "reg:tweedie",
    "tweedie_variance_power": 1.4,
    "eval_metric": "tweedie-nloglik@1.4",
    "max_depth": 4,
    "eta": 0.2,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 10,
    "lambda": 2.0,
    "tree_method": "hist",
    "max_bin": 128,
}
NUM_ROUNDS = 400

#: CLV tiers by share of guests, highest first: the top 5% are PLATINUM, the next 15% GOLD...
TIER_SHARES: tuple[tuple[str, float], ...] = (
    ("PLATINUM", 0.05),
    ("GOLD", 0.15),
    ("SILVER", 0.30),
    ("BRONZE", 0.50),
)


def train_clv(split: TimeSplit, *, seed: int, threads: int = 1):  # noqa: ANN201 - returns xgboost.Booster
    import xgboost as xgb

    names = list(split.train.feature_names)
    dtrain = xgb.DMatrix(
        split.train.X, label=split.train.future_revenue, feature_names=names, nthread=1
    )
    dcalib = xgb.DMatrix(
        split.calib.X, label=split.calib.future_revenue, feature_names=names, nthread=1
    )
    return xgb.train(
        {**CLV_PARAMS, "seed": seed, "nthread": threads},
        dtrain,
        num_boost_round=NUM_ROUNDS,
        evals=[(dcalib, "calib")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        verbose_eval=False,
    )


def predict_clv(booster, frame, *, matrix=None) -> np.ndarray:  # noqa: ANN001
    """Predicted revenue in the horizon (never negative); ``matrix``: the frame's DMatrix."""
    import xgboost as xgb

    if matrix is None:
        matrix = xgb.DMatrix(frame.X, feature_names=list(frame.feature_names), nthread=1)
    pred = booster.predict(matrix, iteration_range=(0, booster.best_iteration + 1))
    return np.maximum(pred.astype(np.float64), 0.0)


def mean_return_revenue(frame: FeatureFrame) -> float:
    """Mean horizon revenue of the guests who came back (a labeled frame's returners)."""
    revenue = np.asarray(frame.future_revenue, dtype=np.float64)
    back = revenue[revenue > 0]
    return float(back.mean()) if len(back) else 0.0


def blend_with_churn(
    value: np.ndarray, churn_probability: np.ndarray, mean_return_revenue: float
) -> np.ndarray:
    """CLV as the geometric mean of two estimates of the horizon revenue: the Tweedie
    regression's, and P(return) from the calibrated churn model times what a returning guest
    spends on average (``mean_return_revenue``, from the calibration snapshot).

    Where most guests never come back, ranking revenue is mostly ranking who returns, which
    the churn model does better than the regression; the regression keeps who spends more.
    Default world, backtest a horizon later (seeds 42 / 7): Spearman 0.486 -> 0.497 /
    0.484 -> 0.494, top-10% capture 0.658 -> 0.664 / 0.665 -> 0.675, total 2.19 -> 2.29 M /
    2.26 -> 2.35 M (actual 2.69 / 2.74 M), at a MAE 2 % higher (141.2 -> 144.7 / 145.4 -> 148.5).
    """
    value = np.maximum(np.asarray(value, dtype=np.float64), 0.0)
    back = 1.0 - np.clip(np.asarray(churn_probability, dtype=np.float64), 0.0, 1.0)
    return np.sqrt(value * back * max(float(mean_return_revenue), 0.0))


def apply_blend(value: np.ndarray, churn_probability: np.ndarray, blend: object) -> np.ndarray:
    """:func:`blend_with_churn` as a bundle's manifest ``clv_blend`` says (older bundles have
    none: the regression alone)."""
    if not isinstance(blend, dict):
        return value
    return blend_with_churn(value, churn_probability, float(blend["mean_return_revenue"]))


def clv_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, Spearman, top-10% revenue capture, normalised Gini, totals."""
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    return {
        "mae": metrics.mae(actual, predicted),
        "spearman": metrics.spearman(actual, predicted),
        "capture_top10": metrics.top_share_capture(actual, predicted, share=0.1),
        "gini": metrics.normalized_gini(actual, predicted),
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual.sum()),
        "rows": float(len(actual)),
    }


def tier_cutoffs(predicted: np.ndarray) -> list[dict[str, object]]:
    """CLV cut-offs for the tiers, from a reference distribution (stored with the model)."""
    predicted = np.asarray(predicted, dtype=np.float64)
    cutoffs: list[dict[str, object]] = []
    cumulative = 0.0
    for name, share in TIER_SHARES[:-1]:
        cumulative += share
        value = float(np.quantile(predicted, 1 - cumulative)) if len(predicted) else 0.0
        cutoffs.append({"tier": name, "min_clv": value})
    cutoffs.append({"tier": TIER_SHARES[-1][0], "min_clv": None})
    return cutoffs


def clv_tier(predicted: np.ndarray, cutoffs: list[dict[str, object]]) -> np.ndarray:
    """Tier name per guest: the first tier (highest first) whose ``min_clv`` it reaches."""
    predicted = np.asarray(predicted, dtype=np.float64)
    out = np.full(len(predicted), cutoffs[-1]["tier"], dtype=object)
    for cut in reversed(cutoffs[:-1]):
        out[predicted >= float(cut["min_clv"])] = cut["tier"]
    return out
