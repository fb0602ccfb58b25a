"""Ranking metrics for recommendations, and the two baselines they are judged against.

A ranking is an integer array [guests, K] of item columns, best first; the target is the one
item column each guest really took (their next stay's property, say).
"""

from __future__ import annotations

import numpy as np

from guestloyalty.evaluation import metrics


def target_rank(ranked: np.ndarray, target: np.ndarray) -> np.ndarray:
    """1-based position of each guest's target in their ranking; 0 when it is not there."""
    hits = ranked == np.asarray(target)[:, None]
    found = hits.any(axis=1)
    return np.where(found, hits.argmax(axis=1) + 1, 0)


def hit_at(ranked: np.ndarray, target: np.ndarray, k: int) -> float:
    """Share of guests whose target is in their top ``k``."""
    if len(target) == 0:
        return float("nan")
    rank = target_rank(ranked[:, :k], target)
    return float(np.mean(rank > 0))


def ndcg_at(ranked: np.ndarray, target: np.ndarray, k: int) -> float:
    """Mean NDCG@k with one relevant item per guest: ``1 / log2(1 + rank)`` inside the top k."""
    if len(target) == 0:
        return float("nan")
    rank = target_rank(ranked[:, :k], target)
    gain = np.where(rank > 0, 1.0 / np.log2(1.0 + np.maximum(rank, 1)), 0.0)
    return float(np.mean(gain))


def most_popular(popularity: np.ndarray, columns: np.ndarray, n: int, *, top: int) -> np.ndarray:
    """The same ranking for every guest: ``columns`` by popularity (ties: column order)."""
    order = columns[np.argsort(-popularity[columns], kind="stable")][:top]
    return np.broadcast_to(order, (n, len(order))).copy()


def last_time(
    last: np.ndarray, popularity: np.ndarray, columns: np.ndarray, *, top: int
) -> np.ndarray:
    """What the guest took last time first (``last`` = -1: nothing), then the most popular."""
    popular = columns[np.argsort(-popularity[columns], kind="stable")]
    n = len(last)
    width = min(top, len(popular))
    # Candidates: last, then every popular item; drop the repeat of last and keep ``width``.
    candidates = np.concatenate(
        [np.asarray(last)[:, None], np.broadcast_to(popular, (n, len(popular)))], axis=1
    )
    repeat = candidates[:, 1:] == candidates[:, :1]
    keep = np.concatenate([(candidates[:, :1] >= 0), ~repeat], axis=1)
    order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    return np.take_along_axis(candidates, order, axis=1)


def judge_choice(
    scores: np.ndarray,
    target: np.ndarray,
    last: np.ndarray,
    popularity: np.ndarray,
    columns: np.ndarray,
    *,
    baselines: bool = True,
) -> dict[str, dict[str, float]]:
    """hit@3 and NDCG@5 of the model's ranking of ``columns`` and (``baselines``) of both
    baselines, for the guests whose next item is known (``target`` >= 0)."""
    known = target >= 0
    y = target[known]
    model = columns[np.argsort(-scores[known][:, columns], axis=1, kind="stable")][:, :5]
    rankings = {"model": model}
    if baselines:
        rankings["most_popular"] = most_popular(popularity, columns, int(known.sum()), top=5)
        rankings["last_time"] = last_time(last[known], popularity, columns, top=5)
    return {
        name: {"hit_at_3": hit_at(r, y, 3), "ndcg_at_5": ndcg_at(r, y, 5), "guests": float(len(y))}
        for name, r in rankings.items()
    }


def judge_extra(
    score: np.ndarray, bought: np.ndarray, last: np.ndarray, *, baselines: bool = True
) -> dict[str, dict[str, float]]:
    """AUC of buying one extra on the next stay: the model's score, and "bought it last
    time" as the baseline (most popular ranks everyone the same: AUC 0.5)."""
    base = {"base_rate": float(np.mean(bought)) if len(bought) else float("nan")}
    out = {"model": {"auc": metrics.roc_auc(bought, score), **base}}
    if baselines:
        out["last_time"] = {"auc": metrics.roc_auc(bought, last.astype(np.float64)), **base}
    return out
