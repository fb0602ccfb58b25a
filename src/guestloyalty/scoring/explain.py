"""Reasons behind a churn score: xgboost's own feature contributions, rendered in words.

For each scored guest xgboost's own per-feature contributions on the log-odds scale are
ranked: exact SHAP values (``pred_contribs=True``, TreeSHAP; :func:`shap_contributions`) for
the guests whose reasons people read first, path attributions (``approx_contribs=True``,
:func:`path_contributions`, about 25 times cheaper) for the rest. :func:`exact_rows` picks the
first: every guest when a run scores at most ``Settings.exact_reasons_max_guests``, otherwise
that many at-risk guests, most value at risk first (the head of ``at_risk_guests``). The
``method`` column of ``guest_score_explanations`` says which, per guest. The top
``k`` that push the guest *towards* churning are kept (when fewer than ``k`` do, the
strongest ones holding the guest back follow). A feature whose value reads the same as the
typical one (the median over the scoring snapshot) explains nothing and is skipped; the next
one by contribution takes its place. Each reason becomes a contrast with the typical guest::

    412 days since last stay, more than the typical guest's 180

Rendering is pure numpy/strings so that single-guest lookups never import xgboost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.models.phrases import PHRASES, format_value, kind_of, render  # noqa: F401


@dataclass(frozen=True)
class Reasons:
    """Top reasons per guest, as parallel arrays of shape (guests, k).

    ``text`` is None where a guest has fewer than ``k`` features that differ from typical.
    """

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


#: Rows ranked at a time in :func:`top_reasons` (about 15 MB of float64 per chunk).
_CHUNK_ROWS = 32_768


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
    Features whose value reads like the typical one (:func:`phrases.same_as_typical`) come
    last and get no sentence (``text`` None).
    """
    names = np.asarray(feature_names, dtype=object)
    n_features = len(names)
    contributions = np.asarray(contributions)
    k = min(k, n_features)
    order = np.empty((len(contributions), k), dtype=np.int64)
    X = np.asarray(X)
    kinds = [kind_of(str(name)) for name in names]
    typical_shown = shown_values(np.asarray(typical, dtype=np.float64)[None, :], kinds)
    for start in range(0, len(contributions), _CHUNK_ROWS):  # chunks stay in the CPU cache
        contrib = contributions[start : start + _CHUNK_ROWS, :n_features].astype(np.float64)
        mine = shown_values(X[start : start + _CHUNK_ROWS].astype(np.float64), kinds)
        same = (mine == typical_shown) | (np.isnan(mine) & np.isnan(typical_shown))
        # Positive contributions first (descending), then negatives by magnitude, then the
        # features that read like the typical guest.
        key = np.where(contrib > 0, contrib, -1e9 + np.abs(contrib))
        key = np.where(same, -2e9 + np.abs(contrib), key)
        order[start : start + _CHUNK_ROWS] = np.argsort(-key, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(contributions))[:, None]
    feature = names[order]
    value = np.asarray(X)[rows, order].astype(np.float64)
    typ = np.asarray(typical, dtype=np.float64)[order]
    chosen = contributions[rows, order].astype(np.float64)
    text = np.empty(order.shape, dtype=object)
    typical = np.asarray(typical, dtype=np.float64)
    # One sentence per distinct (feature, value): the typical value is the feature's own.
    for index in np.unique(order):
        at = order == index
        distinct, where = np.unique(value[at], return_inverse=True)
        sentences = [render(names[index], v, typical[index]) for v in distinct.tolist()]
        text[at] = np.asarray(sentences, dtype=object)[where.ravel()]
    mine = shown_values(value, kinds, columns=order)
    theirs = shown_values(typ, kinds, columns=order)
    text[(mine == theirs) | (np.isnan(mine) & np.isnan(theirs))] = None  # nothing to explain
    return Reasons(feature=feature, value=value, typical=typ, contribution=chosen, text=text)


def shown_values(
    values: np.ndarray, kinds: list[str], *, columns: np.ndarray | None = None
) -> np.ndarray:
    """:func:`phrases.shown` over a matrix: column ``j`` is of ``kinds[j]``, or of
    ``kinds[columns[i, j]]`` when ``columns`` says which feature each cell holds."""
    values = np.asarray(values, dtype=np.float64)
    kind_index = {"share": 0, "money": 1, "decimal": 2, "flag": 3}
    codes = np.array([kind_index.get(kind, 4) for kind in kinds], dtype=np.int8)
    code = codes[columns] if columns is not None else np.broadcast_to(codes, values.shape)
    with np.errstate(invalid="ignore"):
        whole = np.abs(values - np.round(values)) < 1e-9
        count = np.where(whole | (np.abs(values) >= 100), np.round(values), np.round(values, 1))
        out = np.select(
            [code == 0, code == 1, code == 2, code == 3],
            [
                np.round(100 * values),
                np.round(values),
                np.round(values, 1),
                np.where(np.isnan(values), np.nan, (values >= 0.5).astype(np.float64)),
            ],
            default=count,
        )
    return out


def exact_rows(
    churn_probability: np.ndarray,
    clv: np.ndarray,
    *,
    at_risk_from: float,
    limit: int,
) -> np.ndarray:
    """Which guests get exact TreeSHAP reasons (a boolean mask); the others get path attributions.

    Everyone when there are at most ``limit`` guests. Otherwise ``limit`` guests: those at risk
    (churn probability at or above ``at_risk_from``, the HIGH cut-off) with the most value at
    risk (CLV x churn probability) first, then the rest by value at risk; ties keep the input
    order. Exact TreeSHAP costs about 0.3 ms of CPU per guest on the churn model, so the
    limit caps its cost whatever the size of the guest base.
    """
    prob = np.asarray(churn_probability, dtype=np.float64)
    n = len(prob)
    mask = np.zeros(n, dtype=bool)
    if n <= limit:
        mask[:] = True
        return mask
    if limit <= 0:
        return mask
    value_at_risk = np.nan_to_num(np.asarray(clv, dtype=np.float64) * prob, nan=0.0)
    # at-risk first (key 0), then value at risk descending; lexsort is stable.
    order = np.lexsort((-value_at_risk, (prob < at_risk_from).astype(np.int8)))
    mask[order[:limit]] = True
    return mask


def contributions(
    booster,  # noqa: ANN001
    X: np.ndarray,
    feature_names,  # noqa: ANN001
    *,
    exact: np.ndarray,
    matrix=None,  # noqa: ANN001
) -> np.ndarray:
    """Exact TreeSHAP for the rows in ``exact``, path attributions for the others.

    ``matrix``: ``X`` as an ``xgboost.DMatrix`` when the caller has one; then path
    attributions are computed for every row at once (no copy of the others) and the exact
    rows overwritten.
    """
    exact = np.asarray(exact, dtype=bool)
    if exact.all():
        return shap_contributions(booster, X, feature_names)
    if matrix is not None:
        out = path_contributions(booster, X, feature_names, matrix=matrix)
    else:
        out = np.empty((len(X), len(feature_names) + 1), dtype=np.float32)
        out[~exact] = path_contributions(booster, X[~exact], feature_names)
    if exact.any():
        out[exact] = shap_contributions(booster, X[exact], feature_names)
    return out


def shap_contributions(booster, X: np.ndarray, feature_names) -> np.ndarray:  # noqa: ANN001
    """xgboost TreeSHAP contributions (log-odds), bias in the last column."""
    import xgboost as xgb

    matrix = xgb.DMatrix(X, feature_names=list(feature_names), nthread=1)
    return booster.predict(
        matrix, pred_contribs=True, iteration_range=(0, booster.best_iteration + 1)
    )


def path_contributions(booster, X: np.ndarray, feature_names, *, matrix=None) -> np.ndarray:  # noqa: ANN001
    """xgboost path attributions (Saabas; log-odds), bias in the last column.

    What the reasons rank for the guests :func:`exact_rows` leaves out
    (:meth:`fast_predict.TreeEnsemble.path_contributions` gives the same numbers). Like SHAP
    values they add up to the margin; unlike exact TreeSHAP, whose cost grows with the square
    of the tree depth, they cost one walk down each tree: about 25 times less on the churn
    model (400 trees of depth 4), which turns minutes into seconds at a million guests.
    """
    import xgboost as xgb

    if matrix is None:
        matrix = xgb.DMatrix(X, feature_names=list(feature_names), nthread=1)
    return booster.predict(
        matrix,
        pred_contribs=True,
        approx_contribs=True,
        iteration_range=(0, booster.best_iteration + 1),
    )
