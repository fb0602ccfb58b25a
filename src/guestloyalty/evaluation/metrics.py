"""Evaluation metrics on numpy arrays (no sklearn import needed for the common ones)."""

from __future__ import annotations

import numpy as np


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve via ranks (ties get their average rank)."""
    y = np.asarray(y_true, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = np.asarray(score)[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier(y_true: np.ndarray, prob: np.ndarray) -> float:
    return float(np.mean((np.asarray(prob) - np.asarray(y_true)) ** 2))


def log_loss(y_true: np.ndarray, prob: np.ndarray) -> float:
    p = np.clip(np.asarray(prob, dtype=np.float64), 1e-7, 1 - 1e-7)
    y = np.asarray(y_true, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def top_share_capture(y_true: np.ndarray, score: np.ndarray, *, share: float = 0.1) -> float:
    """Share of all positives (or of total value) found in the top ``share`` by score."""
    y = np.asarray(y_true, dtype=np.float64)
    k = max(1, int(round(len(y) * share)))
    top = np.argsort(-np.asarray(score), kind="mergesort")[:k]
    total = y.sum()
    return float(y[top].sum() / total) if total > 0 else float("nan")


def lift_at(y_true: np.ndarray, score: np.ndarray, *, share: float = 0.1) -> float:
    y = np.asarray(y_true, dtype=np.float64)
    base = y.mean()
    return (
        top_share_capture(y, score, share=share)
        * y.sum()
        / (max(1, int(round(len(y) * share))) * base)
        if base > 0
        else float("nan")
    )


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    def rank(x: np.ndarray) -> np.ndarray:
        order = np.argsort(x, kind="mergesort")
        r = np.empty(len(x), dtype=np.float64)
        sorted_x = np.asarray(x)[order]
        _, first, counts = np.unique(sorted_x, return_index=True, return_counts=True)
        r[order] = np.repeat(first + (counts - 1) / 2.0, counts)
        return r

    ra, rb = rank(np.asarray(a)), rank(np.asarray(b))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def average_precision(y_true: np.ndarray, score: np.ndarray) -> float:
    """PR-AUC as average precision (sklearn's definition; ties broken by order)."""
    y = np.asarray(y_true, dtype=np.float64)
    n_pos = y.sum()
    if len(y) == 0 or n_pos == 0:
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")
    s = np.asarray(score, dtype=np.float64)[order]
    y = y[order]
    # Precision/recall at each distinct score threshold.
    distinct = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(y)[distinct]
    precision = tp / (distinct + 1)
    recall = tp / n_pos
    recall_step = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_step * precision))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    a = np.asarray(actual, dtype=np.float64)
    return float(np.mean(np.abs(a - np.asarray(predicted, dtype=np.float64)))) if len(a) else 0.0


def normalized_gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Gini of ``actual`` ordered by ``predicted``, divided by the Gini of the perfect order.

    1 is a perfect ranking of value, 0 is random. Ties in ``predicted`` get their mean value so
    a constant prediction scores 0 whatever the row order.
    """
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if len(a) == 0 or a.sum() == 0:
        return float("nan")

    def gini(by: np.ndarray) -> float:
        order = np.argsort(-by, kind="mergesort")
        sorted_by, sorted_a = by[order], a[order]
        # Average the actuals within tied groups of ``by``.
        _, first, counts = np.unique(-sorted_by, return_index=True, return_counts=True)
        sums = np.add.reduceat(sorted_a, first)
        sorted_a = np.repeat(sums / counts, counts)
        cumulative = np.cumsum(sorted_a) / sorted_a.sum()
        n = len(sorted_a)
        return float(cumulative.sum() / n - (n + 1) / (2 * n))

    best = gini(a)
    return gini(p) / best if best != 0 else float("nan")
