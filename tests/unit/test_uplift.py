"""Uplift: the Qini AUC as scikit-uplift computes it, and UpliftModel on held-out data."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.uplift import UpliftModel, qini_auc_score, uplift_at_k

# Ten guests; the expected figures are scikit-uplift 0.5.1's qini_auc_score and
# uplift_at_k(strategy="overall", k=0.5) on these arrays (its source run on them).
Y = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0])
T = np.array([1, 1, 0, 1, 0, 1, 0, 0, 1, 0])
U = np.array([0.9, 0.1, -0.2, 0.5, 0.3, 0.3, -0.4, 0.0, 0.7, 0.2])


def test_qini_auc_matches_scikit_uplift_on_a_small_case():
    assert qini_auc_score(Y, U, T) == pytest.approx(0.9864864864864865, abs=1e-12)
    assert uplift_at_k(Y, U, T, k=0.5) == pytest.approx(0.75)


def test_qini_auc_is_one_for_the_perfect_ranking_and_zero_for_a_constant():
    perfect = Y * T - Y * (1 - T)
    assert qini_auc_score(Y, perfect, T) == pytest.approx(1.0)
    assert qini_auc_score(Y, np.zeros(len(Y)), T) == pytest.approx(0.0)
    assert qini_auc_score(Y, -perfect, T) < 0


@pytest.mark.parametrize(
    ("y", "t", "match"),
    [(np.array([0, 2, 1, 0]), np.array([0, 1, 0, 1]), "binary"),
     (np.array([0, 1, 1, 0]), np.array([0, 1, 3, 1]), "binary")],
)  # fmt: skip
def test_qini_auc_refuses_non_binary_input(y, t, match):
    with pytest.raises(ValueError, match=match):
        qini_auc_score(y, np.arange(4.0), t)


def _randomized_trial(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """x0 decides who an offer persuades (+0.3), x1 who it puts off (-0.2); x2 is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t = rng.integers(0, 2, n)
    base = 0.2 + 0.1 * (X[:, 2] > 0)
    effect = 0.3 * (X[:, 0] > 0.5) - 0.2 * (X[:, 1] > 1.0)
    y = (rng.random(n) < np.clip(base + t * effect, 0, 1)).astype(int)
    return X, t, y, effect


def test_uplift_model_ranks_held_out_guests_by_what_the_offer_changes():
    X, t, y, _ = _randomized_trial(6_000, seed=1)
    X_new, t_new, y_new, effect_new = _randomized_trial(4_000, seed=2)
    model = UpliftModel(random_state=0).fit(X, t, y)
    uplift = model.predict(X_new)
    assert uplift.shape == (4_000,)
    assert model.learner_ in model.scores_
    # held-out: near the ranking by the true effect, far above a random one
    qini = qini_auc_score(y_new, uplift, t_new)
    assert qini > 0.8 * qini_auc_score(y_new, effect_new, t_new)
    random = np.random.default_rng(3).random(len(y_new))
    assert qini > qini_auc_score(y_new, random, t_new) + 0.1
    assert np.corrcoef(uplift, effect_new)[0, 1] > 0.7


def test_uplift_model_chooses_by_held_out_campaigns_when_given_groups():
    X, t, y, _ = _randomized_trial(3_000, seed=4)
    groups = np.repeat(["c1", "c2", "c3"], 1_000)
    model = UpliftModel(learners=("two_model_logistic", "x_learner_logistic")).fit(
        X, t, y, groups=groups
    )
    assert set(model.scores_) == {"two_model_logistic", "x_learner_logistic"}
    assert model.learner_ == max(model.scores_, key=model.scores_.get)


def test_uplift_model_explains_bad_input():
    X, t, y, _ = _randomized_trial(200, seed=5)
    with pytest.raises(ValueError, match="treatment"):
        UpliftModel().fit(X, np.ones(len(t)), y)
    with pytest.raises(ValueError, match="not fitted"):
        UpliftModel().predict(X)
    with pytest.raises(ValueError, match="unknown uplift learner"):
        UpliftModel(learners=("magic",))
    model = UpliftModel(learners=("two_model_logistic",)).fit(X, t, y)
    with pytest.raises(ValueError, match="3 columns"):
        model.predict(X[:, :2])


def test_sparse_dr_keeps_the_features_that_carry_the_effect():
    X, t, y, _ = _randomized_trial(6_000, seed=6)
    noise = np.random.default_rng(7).normal(size=(6_000, 5))
    X_new, t_new, y_new, effect_new = _randomized_trial(4_000, seed=8)
    noise_new = np.random.default_rng(9).normal(size=(4_000, 5))
    model = UpliftModel(learners=("sparse_dr",)).fit(np.hstack([X, noise]), t, y)
    uplift = model.predict(np.hstack([X_new, noise_new]))
    assert qini_auc_score(y_new, uplift, t_new) > 0.7 * qini_auc_score(y_new, effect_new, t_new)
    # on the uplift scale: the mean estimate is near the mean true effect
    assert abs(uplift.mean() - effect_new.mean()) < 0.05


def test_uplift_model_refuses_zero_threads():
    with pytest.raises(ValueError, match="n_threads"):
        UpliftModel(n_threads=0)


def test_targeting_by_uplift_is_refused_on_the_spark_engine():
    from pydantic import ValidationError

    from guestloyalty.config import Settings

    assert Settings(nba_targeting="uplift").nba_targeting == "uplift"
    with pytest.raises(ValidationError, match="duckdb engine only"):
        Settings(engine="spark", nba_targeting="uplift")
