"""Recommendations: ranking metrics, the baselines, and the co-occurrence model on held-out
next stays of a small simulated clientele (never on the stays it learned from)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from guestloyalty.evaluation import metrics, ranking
from guestloyalty.models import recommend


def interactions(stays: list[tuple[int, list[int]]], items: list[tuple[str, str]], n_guests: int):
    """Interactions from (guest, item columns) per stay, in guest then time order."""
    rows = [r for r, (_, cols) in enumerate(stays) for _ in cols]
    cols = [c for _, cs in stays for c in cs]
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(stays), len(items)))
    return recommend.Interactions(
        stay_guest=np.array([g for g, _ in stays]),
        stay_age_days=np.zeros(len(stays)),
        stay_items=matrix,
        item_kind=np.array([k for k, _ in items]),
        item_id=np.array([i for _, i in items]),
        n_guests=n_guests,
    )


# ---- metrics and baselines --------------------------------------------------------------------


def test_hit_and_ndcg_count_the_target_inside_the_cut_only():
    ranked = np.array([[3, 1, 2], [1, 2, 3], [2, 3, 1]])
    target = np.array([3, 3, 3])
    assert ranking.hit_at(ranked, target, 1) == pytest.approx(1 / 3)
    assert ranking.hit_at(ranked, target, 2) == pytest.approx(2 / 3)
    assert ranking.ndcg_at(ranked, target, 3) == pytest.approx(
        (1.0 + 1 / np.log2(4) + 1 / np.log2(3)) / 3
    )
    assert ranking.ndcg_at(ranked, target, 1) == pytest.approx(1 / 3)


def test_last_time_puts_the_last_item_first_then_the_most_popular_without_repeats():
    popularity = np.array([0.0, 0.5, 0.3, 0.2])
    columns = np.array([1, 2, 3])
    out = ranking.last_time(np.array([3, 1, -1]), popularity, columns, top=3)
    assert out.tolist() == [[3, 1, 2], [1, 2, 3], [1, 2, 3]]


def test_extra_auc_of_the_last_time_baseline_uses_what_was_bought_last_time():
    bought = np.array([True, False, True, False])
    figures = ranking.judge_extra(np.array([0.9, 0.1, 0.8, 0.2]), bought, bought.copy())
    assert figures["model"]["auc"] == 1.0
    assert figures["last_time"]["auc"] == 1.0
    assert figures["model"]["base_rate"] == 0.5


# ---- the model --------------------------------------------------------------------------------

ITEMS = [("property", "A"), ("property", "B"), ("property", "C"), ("extra", "spa")]


def test_a_guest_with_one_stay_teaches_nothing():
    data = interactions([(0, [0, 3]), (1, [1])], ITEMS, n_guests=2)
    model = recommend.fit(data)
    assert model.teaching_guests == 0
    # untaught rows fall back to the per-stay popularity
    np.testing.assert_allclose(model.transition[0], model.popularity)


def test_transition_is_what_the_other_stays_of_the_same_guest_hold():
    # guest 0: A+spa then B; guest 1: A then A
    data = interactions([(0, [0, 3]), (0, [1]), (1, [0]), (1, [0])], ITEMS, n_guests=2)
    model = recommend.fit(data)
    # stays with A: guest 0's first (other stay: B), guest 1's two (other stay: A each)
    assert model.transition[0, 0] == pytest.approx(2 / 3)
    assert model.transition[0, 1] == pytest.approx(1 / 3)
    assert model.transition[0, 3] == pytest.approx(0.0)
    # the stay with spa: its guest's other stay is at B, without spa
    assert model.transition[3, 1] == pytest.approx(1.0)
    assert model.transition[3, 3] == pytest.approx(0.0)


def test_each_kind_blends_with_its_own_weight():
    data = interactions([(0, [0, 3]), (0, [1]), (1, [0]), (1, [0]), (2, [2])], ITEMS, 3)
    base = recommend.fit(data)
    light = recommend.predict(base.__class__(base.transition, base.popularity, 0.5), data)
    mixed = recommend.predict(
        base.__class__(base.transition, base.popularity, 0.5, blend={"extra": (8.0, 730.0)}),
        data,
    )
    np.testing.assert_allclose(mixed[:, :3], light[:, :3])
    assert not np.allclose(mixed[:, 3], light[:, 3])


def test_property_scores_are_a_distribution_over_the_next_stay():
    data = interactions([(0, [0, 3]), (0, [1]), (1, [0]), (1, [0]), (2, [2])], ITEMS, 3)
    scores = recommend.predict(recommend.fit(data), data)
    np.testing.assert_allclose(scores[:, :3].sum(axis=1), 1.0, atol=1e-6)
    assert np.all(scores >= 0)


def simulated_clientele(seed: int, guests: int = 3000):
    """Guests prefer one of three property kinds (two properties each) and a spa habit
    follows the resort kind; each guest has 1-5 stays, the last one held out."""
    rng = np.random.default_rng(seed)
    items = [("property", f"P{k}{j}") for k in range(3) for j in range(2)] + [
        ("extra", "spa"),
        ("context", "purpose:leisure"),
    ]
    kind = rng.integers(0, 3, guests)
    home = rng.integers(0, 2, guests)
    history, targets = [], []
    for g in range(guests):
        n = 1 + rng.poisson(1.5)
        for s in range(n + 1):
            k = kind[g] if rng.random() < 0.75 else rng.integers(0, 3)
            j = home[g] if rng.random() < 0.7 else rng.integers(0, 2)
            cols = [2 * k + j]
            if rng.random() < (0.5 if k == 1 else 0.05):
                cols.append(6)
            if kind[g] == 1 and rng.random() < 0.8:
                cols.append(7)
            (targets if s == n else history).append((g, cols))
    return interactions(history, items, guests), interactions(targets, items, guests), kind


def test_model_beats_both_baselines_on_held_out_next_stays():
    history, targets, kind = simulated_clientele(seed=3)
    model = recommend.fit(history)
    nxt = recommend.next_stays(history, targets)
    scores = recommend.predict(model, history, guests=nxt.guests)
    columns = history.columns("property")
    figures = ranking.judge_choice(
        scores, nxt.property, nxt.last_property, model.popularity, columns
    )
    assert figures["model"]["hit_at_3"] > figures["last_time"]["hit_at_3"]
    assert figures["model"]["hit_at_3"] > figures["most_popular"]["hit_at_3"] + 0.1
    spa = ranking.judge_extra(scores[:, 6], nxt.extras[:, 0], nxt.last_extras[:, 0])
    assert spa["model"]["auc"] > spa["last_time"]["auc"]
    # the best anyone can do: knowing each guest's kind (spa on 43% of resort lovers' next
    # stays, 8.8% of the others')
    oracle = metrics.roc_auc(nxt.extras[:, 0], np.where(kind[nxt.guests] == 1, 0.43, 0.088))
    assert spa["model"]["auc"] > 0.9 * oracle


def test_select_blend_returns_the_best_point_of_the_grid():
    history, _, _ = simulated_clientele(seed=5, guests=300)
    guests = np.arange(50)

    def objective(scores: np.ndarray) -> dict[str, float]:
        # property prefers heavy smoothing (rows close to the mean), extra light smoothing
        spread = float(np.abs(scores - scores.mean(axis=0)).sum())
        return {"property": -spread, "extra": spread}

    blend, grid = recommend.select_blend(
        history, objective, guests, prior_weights=(0.5, 4.0), half_lives=(365.0,)
    )
    assert blend == {"property": (4.0, 365.0), "extra": (0.5, 365.0)}
    assert len(grid) == 4


def test_rank_columns_puts_minus_infinity_last():
    scores = np.array([[0.1, -np.inf, 0.5], [0.3, 0.2, 0.1]])
    out = recommend.rank_columns(scores, np.array([0, 1, 2]), top=3)
    assert out.tolist() == [[2, 0, 1], [0, 1, 2]]


def test_a_guest_without_stays_gets_the_popularity_without_a_warning():
    import warnings

    data = interactions([(0, [0, 3]), (0, [1]), (2, [2])], ITEMS, n_guests=3)
    model = recommend.fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = recommend.predict(model, data)
    k = model.prior_weight
    np.testing.assert_allclose(scores[1], k * model.popularity / k, rtol=1e-6)
