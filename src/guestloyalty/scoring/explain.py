"""Reasons behind a churn score: xgboost's own feature contributions, rendered in words.

For each scored guest xgboost's own SHAP values (``pred_contribs=True``, exact TreeSHAP, on
the log-odds scale; see :func:`shap_contributions`) of every feature are ranked. Runs that
score more guests than ``Settings.exact_reasons_max_guests`` use path attributions
(``approx_contribs=True``, :func:`path_contributions`) instead, about 25 times cheaper; the
``method`` column of ``guest_score_explanations`` records which. The top
``k`` that push the guest *towards* churning are kept (when fewer than ``k`` do, the
strongest ones holding the guest back follow). Each becomes a sentence
with the guest's value next to the typical one — the median over the scoring snapshot::

    412 days since last stay; typical 180

Rendering is pure numpy/strings so that single-guest lookups never import xgboost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.scoring.phrases import PHRASES, format_value, render  # noqa: F401


@dataclass(frozen=True)
class Reasons:
    """Top reasons per guest, as parallel arrays of shape (guests, k)."""

    feature: np.ndarray
    value: np.ndarray
    typical: np.ndarray
    contribution: np.ndarray
    text: np.ndarray


def typical_values(X: np.ndarray) -> np.ndarray:
    """Median of every column over the rows given (NaN-aware)."""
    if len(X) == 0:
        return np.full(X.shape[1], np.nan)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column -> NaN
        return np.nanmedian(X.astype(np.float64), axis=0)


def top_reasons(
    contributions: np.ndarray,
    X: np.ndarray,
    feature_names: tuple[str, ...] | list[str],
    *,
    typical: np.ndarray,
    k: int = 3,
) -> Reasons:
    """The ``k`` features with the largest push towards churn per guest, in words.

    ``contributions`` is (guests, features) or (guests, features + 1) with xgboost's bias as
    the last column (it is ignored). Features pushing towards churn come first, largest
    first; when fewer than ``k`` push that way the ones holding the guest back follow.
    """
    names = np.asarray(feature_names, dtype=object)
    n_features = len(names)
    contrib = np.asarray(contributions, dtype=np.float64)[:, :n_features]
    k = min(k, n_features)
    # Positive contributions first (descending), then negatives by magnitude.
    key = np.where(contrib > 0, contrib, -1e9 + np.abs(contrib))
    order = np.argsort(-key, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(contrib))[:, None]
    feature = names[order]
    value = X.astype(np.float64)[rows, order]
    typ = np.asarray(typical, dtype=np.float64)[order]
    chosen = contrib[rows, order]
    text = np.empty(order.shape, dtype=object)
    for i in range(order.shape[0]):
        for j in range(k):
            text[i, j] = render(feature[i, j], value[i, j], typ[i, j])
    return Reasons(feature=feature, value=value, typical=typ, contribution=chosen, text=text)


def shap_contributions(booster, X: np.ndarray, feature_names) -> np.ndarray:  # noqa: ANN001
    """xgboost TreeSHAP contributions (log-odds), bias in the last column."""
    import xgboost as xgb

    matrix = xgb.DMatrix(X, feature_names=list(feature_names), nthread=1)
    return booster.predict(
        matrix, pred_contribs=True, iteration_range=(0, booster.best_iteration + 1)
    )


def path_contributions(booster, X: np.ndarray, feature_names) -> np.ndarray:  # noqa: ANN001
    """xgboost path attributions (Saabas; log-odds), bias in the last column.

    What the reasons rank in runs above ``Settings.exact_reasons_max_guests``
    (:meth:`fast_predict.TreeEnsemble.path_contributions` gives the same numbers). Like SHAP
    values they add up to the margin; unlike exact TreeSHAP, whose cost grows with the square
    of the tree depth, they cost one walk down each tree: about 25 times less on the churn
    model (400 trees of depth 4), which turns minutes into seconds at a million guests.
    """
    import xgboost as xgb

    matrix = xgb.DMatrix(X, feature_names=list(feature_names), nthread=1)
    return booster.predict(
        matrix,
        pred_contribs=True,
        approx_contribs=True,
        iteration_range=(0, booster.best_iteration + 1),
    )
