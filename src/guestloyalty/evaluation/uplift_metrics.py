"""Uplift metrics on numpy arrays: the Qini curve and its normalised area, as scikit-uplift.

``qini_auc_score`` reproduces ``sklift.metrics.qini_auc_score`` of scikit-uplift 0.5.1
(``negative_effect=True``) step by step: rows sorted by predicted uplift (descending, stable
merge sort), one curve point per distinct score, the perfect curve from the outcomes
themselves, both areas measured above the straight line to the last point and divided. The
published Hillstrom figures (``../shared/data/README.md``) are in these units.
"""

from __future__ import annotations

import numpy as np


def _binary(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    unique = np.unique(array)
    if not np.isin(unique, (0, 1)).all():
        raise ValueError(f"{name} must be binary (0/1); got values {unique[:5].tolist()}")
    return array.astype(np.float64)


def _area(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoidal area (sklearn.metrics.auc on an increasing x)."""
    return float(np.trapezoid(y, x))


def qini_curve(
    y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points of the Qini curve: guests targeted so far, incremental responders among them.

    The value at ``n`` targeted is ``responders_treated - responders_control * n_t / n_c``.
    """
    y = np.asarray(y_true, dtype=np.float64)
    t = _binary("treatment", treatment)
    score = np.asarray(uplift, dtype=np.float64)
    if not (y.size == t.size == score.size):
        raise ValueError(f"lengths differ: y {y.size}, uplift {score.size}, treatment {t.size}")
    order = np.argsort(score, kind="mergesort")[::-1]
    y, t, score = y[order], t[order], score[order]
    y_treated = np.where(t == 1, y, 0.0)
    y_control = np.where(t == 0, y, 0.0)
    thresholds = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    n_treated = np.cumsum(t)[thresholds]
    n_all = thresholds + 1
    n_control = n_all - n_treated
    ratio = np.divide(n_treated, n_control, out=np.zeros_like(n_treated), where=n_control != 0)
    values = np.cumsum(y_treated)[thresholds] - np.cumsum(y_control)[thresholds] * ratio
    n_all = n_all.astype(np.float64)
    if n_all.size == 0 or values[0] != 0 or n_all[0] != 0:
        n_all, values = np.r_[0.0, n_all], np.r_[0.0, values]
    return n_all, values


def perfect_qini_curve(y_true: np.ndarray, treatment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best Qini curve these outcomes allow (negative effects included, as sklift)."""
    y = np.asarray(y_true, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    return qini_curve(y, y * t - y * (1 - t), t)


def qini_auc_score(y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> float:
    """Normalised area under the Qini curve (scikit-uplift 0.5.1's ``qini_auc_score``).

    0 is a random ranking, 1 the perfect one; binary outcome and treatment.
    """
    y = _binary("y_true", y_true)
    x_actual, y_actual = qini_curve(y, uplift, treatment)
    x_perfect, y_perfect = perfect_qini_curve(y, treatment)
    baseline = _area(np.array([0.0, x_perfect[-1]]), np.array([0.0, y_perfect[-1]]))
    perfect = _area(x_perfect, y_perfect) - baseline
    if perfect == 0:
        return float("nan")
    return (_area(x_actual, y_actual) - baseline) / perfect


def uplift_at_k(
    y_true: np.ndarray, uplift: np.ndarray, treatment: np.ndarray, *, k: float = 0.3
) -> float:
    """Response rate treated minus control among the top ``k`` share by uplift (sklift's
    ``uplift_at_k(strategy='overall')``)."""
    y = np.asarray(y_true, dtype=np.float64)
    t = _binary("treatment", treatment)
    top = np.argsort(np.asarray(uplift, dtype=np.float64), kind="mergesort")[::-1]
    top = top[: int(k * y.size)]
    treated, control = top[t[top] == 1], top[t[top] == 0]
    if treated.size == 0 or control.size == 0:
        return float("nan")
    return float(y[treated].mean() - y[control].mean())
