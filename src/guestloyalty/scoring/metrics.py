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
