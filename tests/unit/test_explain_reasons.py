"""Reasons in words: SHAP contributions, ranking and rendering."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.scoring import explain


def test_render_contrasts_the_guest_with_the_typical_one():
    assert explain.render("days_since_last_stay", 412, 180) == (
        "412 days since last stay, more than the typical guest's 180"
    )


@pytest.mark.parametrize(
    ("feature", "value", "typical", "text"),
    [
        (
            "email_open_rate_180d",
            0.05,
            0.4,
            "5% email open rate (6 months), lower than the typical guest's 40%",
        ),
        ("lifetime_revenue", 1234.5, 800, "1,234 spent so far, more than the typical guest's 800"),
        ("upcoming_bookings", 0, 1, "0 upcoming bookings, fewer than the typical guest's 1"),
        ("is_loyalty_member", 0, 1, "loyalty member: no, unlike the typical guest"),
        (
            "brand_new_feature",
            2.5,
            1.0,
            "brand new feature: 2.5, more than the typical guest's 1.0",
        ),
        (
            "days_since_last_engagement",
            float("nan"),
            30,
            "unknown days since last email open or session (typical guest: 30)",
        ),
    ],
)
def test_render_formats(feature, value, typical, text):
    assert explain.render(feature, value, typical) == text


def test_top_reasons_puts_pushes_towards_churn_first():
    names = ("days_since_last_stay", "stays_count", "sessions_90d", "upcoming_bookings")
    contributions = np.array([[0.8, -0.1, 0.2, -0.9, 0.0]])  # last column is the bias
    X = np.array([[412.0, 1.0, 0.0, 0.0]])
    reasons = explain.top_reasons(
        contributions, X, names, typical=np.array([180.0, 2.0, 3.0, 0.0]), k=3
    )
    # upcoming bookings (0, typical 0) pushes hardest against churn but explains nothing
    assert reasons.feature[0].tolist() == ["days_since_last_stay", "sessions_90d", "stays_count"]
    assert reasons.text[0, 0] == "412 days since last stay, more than the typical guest's 180"
    assert reasons.contribution[0].tolist() == [0.8, 0.2, -0.1]


@pytest.mark.parametrize(
    ("feature", "value", "typical", "same"),
    [
        ("points_balance", 0.0, 0.0, True),
        ("upcoming_bookings", 0.0, 0.0, True),
        ("cancellation_rate", 0.001, 0.0, True),  # both read 0.0
        ("email_open_rate_180d", 0.401, 0.399, True),  # both read 40%
        ("lifetime_revenue", 800.2, 799.9, True),
        ("is_loyalty_member", 1.0, 0.7, True),
        ("days_since_last_engagement", float("nan"), float("nan"), True),
        ("days_since_last_stay", 412.0, 180.0, False),
        ("days_since_last_engagement", float("nan"), 30.0, False),
    ],
)
def test_same_as_typical_in_batch_and_live(feature, value, typical, same):
    from guestloyalty.models.phrases import same_as_typical

    assert same_as_typical(feature, value, typical) is same
    kinds = [explain.kind_of(feature)]
    mine = explain.shown_values(np.array([[value]]), kinds)
    theirs = explain.shown_values(np.array([[typical]]), kinds)
    assert bool((mine == theirs) | (np.isnan(mine) & np.isnan(theirs))) is same


def test_no_reason_whose_value_equals_the_typical_value_is_shown():
    names = ("points_balance", "upcoming_bookings", "cancellation_rate", "days_since_last_stay")
    contributions = np.array([[0.9, 0.8, 0.7, 0.1], [0.9, 0.8, 0.7, 0.1]])
    X = np.array([[0.0, 0.0, 0.0, 400.0], [0.0, 0.0, 0.0, 180.0]])
    typical = np.array([0.0, 0.0, 0.0, 180.0])
    reasons = explain.top_reasons(contributions, X, names, typical=typical, k=3)
    assert reasons.feature[0, 0] == "days_since_last_stay"
    assert reasons.text[0].tolist()[1:] == [None, None]
    assert reasons.text[1].tolist() == [None, None, None]  # nothing differs: no reason at all
    for row in range(2):
        for rank in range(3):
            if reasons.text[row, rank] is not None:
                assert reasons.value[row, rank] != reasons.typical[row, rank]


def test_live_ranking_skips_reasons_like_the_typical_guest():
    from guestloyalty.serving.guest import rank_reasons

    assert rank_reasons([0.9, 0.8, 0.1, -0.5], 3, same=[True, False, False, False]) == [1, 2, 3]
    assert rank_reasons([0.9, 0.8, 0.1], 3) == [0, 1, 2]


@pytest.mark.parametrize("method", ["shap_contributions", "path_contributions"])
def test_contributions_add_up_to_the_margin(method):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(float)
    booster = xgb.train(
        {"objective": "binary:logistic", "nthread": 1, "max_depth": 3},
        xgb.DMatrix(X, label=y),
        20,
    )
    booster.best_iteration = 19
    contributions = getattr(explain, method)(booster, X[:10], ("a", "b", "c"))
    margin = booster.predict(xgb.DMatrix(X[:10], feature_names=["a", "b", "c"]), output_margin=True)
    np.testing.assert_allclose(contributions.sum(axis=1), margin, rtol=1e-4, atol=1e-4)


def test_typical_values_ignore_missing():
    X = np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])
    typical = explain.typical_values(X)
    assert typical[0] == 2.0
    assert np.isnan(typical[1])


def test_every_guest_gets_exact_reasons_up_to_the_limit():
    prob = np.array([0.1, 0.9, 0.5])
    assert explain.exact_rows(prob, np.ones(3), at_risk_from=0.7, limit=3).all()


def test_exact_reasons_go_to_at_risk_guests_with_most_value_at_risk_first():
    prob = np.array([0.95, 0.2, 0.8, 0.75, 0.9])
    clv = np.array([100.0, 5000.0, 900.0, 50.0, 300.0])
    # value at risk: 95, 1000 (not at risk), 720, 37.5, 270
    exact = explain.exact_rows(prob, clv, at_risk_from=0.7, limit=2)
    assert exact.tolist() == [False, False, True, False, True]
    exact = explain.exact_rows(prob, clv, at_risk_from=0.7, limit=4)
    assert exact.tolist() == [True, False, True, True, True]
    assert not explain.exact_rows(prob, clv, at_risk_from=0.7, limit=0).any()


def test_mixed_contributions_are_exact_where_asked_and_path_elsewhere():
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(float)
    booster = xgb.train(
        {"objective": "binary:logistic", "nthread": 1, "max_depth": 3},
        xgb.DMatrix(X, label=y),
        20,
    )
    booster.best_iteration = 19
    names = ("a", "b", "c")
    exact = np.arange(12) % 3 == 0
    mixed = explain.contributions(booster, X[:12], names, exact=exact)
    np.testing.assert_allclose(
        mixed[exact], explain.shap_contributions(booster, X[:12][exact], names), rtol=1e-6
    )
    np.testing.assert_allclose(
        mixed[~exact], explain.path_contributions(booster, X[:12][~exact], names), rtol=1e-6
    )
