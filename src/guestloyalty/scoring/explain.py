"""Reasons behind a churn score: xgboost's own SHAP values, rendered in words.

For each scored guest the contributions (``pred_contribs=True``, on the log-odds scale) of
every feature are ranked; the top ``k`` that push the guest *towards* churning are kept (when
fewer than ``k`` do, the strongest ones holding the guest back follow). Each becomes a sentence
with the guest's value next to the typical one — the median over the scoring snapshot::

    412 days since last stay; typical 180

Rendering is pure numpy/strings so that single-guest lookups never import xgboost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: How each feature reads in a sentence: (template for the value, unit kind).
#: ``{v}`` is the formatted value. Unknown features fall back to "<name>: <value>".
PHRASES: dict[str, tuple[str, str]] = {
    "stays_count": ("{v} stays so far", "count"),
    "lifetime_revenue": ("{v} spent so far", "money"),
    "avg_stay_revenue": ("{v} per stay", "money"),
    "avg_nights": ("{v} nights per stay", "decimal"),
    "ancillary_share": ("{v} of spend on F&B and spa", "share"),
    "days_since_last_stay": ("{v} days since last stay", "count"),
    "days_since_first_stay": ("{v} days since first stay", "count"),
    "mean_days_between_stays": ("{v} days between stays", "count"),
    "stays_last_365d": ("{v} stays in the last 12 months", "count"),
    "revenue_last_365d": ("{v} spent in the last 12 months", "money"),
    "properties_visited": ("{v} properties visited", "count"),
    "bookings_count": ("{v} bookings made", "count"),
    "cancellations_count": ("{v} cancellations", "count"),
    "avg_lead_days": ("booked {v} days ahead on average", "count"),
    "upcoming_bookings": ("{v} upcoming bookings", "count"),
    "email_sends_180d": ("{v} emails received in 6 months", "count"),
    "email_opens_180d": ("{v} emails opened in 6 months", "count"),
    "email_open_rate_180d": ("{v} email open rate (6 months)", "share"),
    "sessions_90d": ("{v} app/web sessions in 3 months", "count"),
    "days_since_last_engagement": ("{v} days since last email open or session", "count"),
    "is_loyalty_member": ("loyalty member: {v}", "flag"),
    "btyd_p_no_stay": ("{v} chance of no stay in the horizon (BG/NBD)", "share"),
    "btyd_expected_stays": ("{v} expected stays in the horizon (BG/NBD)", "decimal"),
    "btyd_expected_spend": ("{v} expected spend in the horizon (BG/NBD)", "money"),
    "btyd_p_alive": ("{v} chance still active (BG/NBD)", "share"),
}


def format_value(value: float, kind: str) -> str:
    """A feature value as people read it; missing values read "unknown"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if kind == "share":
        return f"{100 * value:.0f}%"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "flag":
        return "yes" if value >= 0.5 else "no"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def render(feature: str, value: float, typical: float) -> str:
    """``"412 days since last stay; typical 180"``."""
    template, kind = PHRASES.get(feature, (feature.replace("_", " ") + ": {v}", "decimal"))
    return f"{template.format(v=format_value(value, kind))}; typical {format_value(typical, kind)}"


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
