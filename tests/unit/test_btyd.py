"""Tests for guestloyalty.models.btyd: BG/NBD, Gamma-Gamma and the RFM summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, special, stats

from guestloyalty.models import btyd
from guestloyalty.models.btyd import (
    BGNBDParams,
    BTYDError,
    ConvergenceError,
    GammaGammaParams,
    RFMSummary,
    btyd_forecast,
    expected_average_value,
    expected_transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    from_json,
    prob_alive,
    prob_no_transaction,
    rfm_summary,
    simulate_bgnbd,
    to_json,
)

CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = np.datetime64("1997-09-30")
HOLDOUT_END = np.datetime64("1998-06-30")
HOLDOUT_WEEKS = 39.0
# Fader, Hardie & Lee (2005), and the Gamma-Gamma fit on the 946 repeat buyers.
PAPER_BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4)
PAPER_GAMMA_GAMMA = GammaGammaParams(p=6.25, q=3.74, v=15.45)


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann-Whitney U), ties averaged."""
    labels = np.asarray(labels, dtype=bool)
    ranks = stats.rankdata(scores)
    n_pos = int(labels.sum())
    n_neg = labels.shape[0] - n_pos
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# --------------------------------------------------------------------------------------------
# CDNOW: reproduce the published figures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CDNOW sample log: sample customer id, date, dollars."""
    raw = np.loadtxt(CDNOW_SAMPLE, dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return raw[:, 1].astype(np.int64), dates, raw[:, 4].astype(np.float64)


@pytest.fixture(scope="module")
def cdnow_summary(cdnow: tuple[np.ndarray, np.ndarray, np.ndarray]) -> RFMSummary:
    ids, dates, values = cdnow
    return rfm_summary(ids, dates, values, calibration_end=CALIBRATION_END, unit_days=7)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary: RFMSummary) -> tuple[BGNBDParams, GammaGammaParams]:
    s = cdnow_summary
    return fit_bgnbd(s.frequency, s.recency, s.T), fit_gamma_gamma(s.frequency, s.monetary)


@pytest.fixture(scope="module")
def cdnow_holdout(
    cdnow: tuple[np.ndarray, np.ndarray, np.ndarray], cdnow_summary: RFMSummary
) -> tuple[np.ndarray, np.ndarray]:
    """Transactions (customer-days) and spend per customer in the 39-week holdout."""
    ids, dates, values = cdnow
    holdout = (dates > CALIBRATION_END) & (dates <= HOLDOUT_END)
    position = np.searchsorted(cdnow_summary.customer_ids, ids[holdout])
    days = np.unique(np.stack((position, (dates[holdout] - CALIBRATION_END).astype(int))), axis=1)
    n = len(cdnow_summary)
    return np.bincount(days[0], minlength=n), np.bincount(position, values[holdout], minlength=n)


def test_cdnow_summary_matches_the_paper_data(cdnow_summary: RFMSummary) -> None:
    s = cdnow_summary
    assert len(s) == 2357
    assert int((s.frequency > 0).sum()) == 946
    # T runs to the end of week 39: a customer who first bought on 1997-01-01 has T = 272/7.
    assert s.T.max() == pytest.approx(272 / 7)
    assert s.T.min() == pytest.approx((272 - 83) / 7)
    assert (s.recency <= s.T).all()


def test_same_day_purchases_are_one_transaction(cdnow: tuple) -> None:
    ids, dates, values = cdnow
    whole = rfm_summary(ids, dates, values, calibration_end=HOLDOUT_END)
    assert int((whole.frequency + 1).sum()) == 6696  # 6,919 records on 6,696 customer-days


def test_cdnow_bgnbd_reproduces_fader_hardie_lee(cdnow_fit: tuple) -> None:
    fitted, _ = cdnow_fit
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(PAPER_BGNBD, name), rel=0.01), name
    assert fitted.log_likelihood == pytest.approx(PAPER_BGNBD.log_likelihood, abs=0.1)
    assert fitted.n_customers == 2357


def test_cdnow_gamma_gamma_reproduces_reference(cdnow_fit: tuple) -> None:
    _, fitted = cdnow_fit
    for name in ("p", "q", "v"):
        assert getattr(fitted, name) == pytest.approx(getattr(PAPER_GAMMA_GAMMA, name), rel=0.01)
    assert fitted.n_customers == 946


def test_cdnow_holdout_churn_auc(cdnow_summary: RFMSummary, cdnow_fit: tuple, cdnow_holdout):
    bgnbd, gg = cdnow_fit
    transactions, _ = cdnow_holdout
    forecast = btyd_forecast(cdnow_summary, horizon_units=HOLDOUT_WEEKS, bgnbd=bgnbd, gg=gg)
    churned = transactions == 0
    assert churned.mean() == pytest.approx(0.71, abs=0.005)

    auc_no_transaction = _auc(forecast.prob_no_transaction, churned)
    assert auc_no_transaction >= 0.74  # quality gate on held-out data
    assert auc_no_transaction == pytest.approx(0.757, abs=0.002)  # the reference figure
    # 1 - P(alive) is 0 for every one-time buyer: worse than random as a churn score.
    auc_dead = _auc(1.0 - forecast.prob_alive, churned)
    assert auc_dead < 0.5
    assert auc_dead == pytest.approx(0.316, abs=0.002)


def test_cdnow_holdout_transactions_and_spend(
    cdnow_summary: RFMSummary, cdnow_fit: tuple, cdnow_holdout
) -> None:
    bgnbd, gg = cdnow_fit
    transactions, spend = cdnow_holdout
    forecast = btyd_forecast(cdnow_summary, horizon_units=HOLDOUT_WEEKS, bgnbd=bgnbd, gg=gg)
    assert transactions.sum() == 1882
    assert forecast.expected_transactions.sum() == pytest.approx(1653, abs=2)
    assert np.abs(forecast.expected_transactions - transactions).mean() == pytest.approx(
        0.786, abs=0.002
    )
    assert forecast.expected_spend.sum() == pytest.approx(59_933, rel=0.001)
    assert np.abs(forecast.expected_spend - spend).mean() == pytest.approx(30.41, abs=0.05)


# --------------------------------------------------------------------------------------------
# rfm_summary
# --------------------------------------------------------------------------------------------


def test_rfm_summary_small_log() -> None:
    summary = rfm_summary(
        np.array(["b", "a", "a", "a", "a", "b", "c"]),
        np.array(
            ["2024-01-10", "2024-01-01", "2024-01-01", "2024-01-15", "2024-01-29"]
            + ["2024-02-20", "2024-01-29"],
            dtype="datetime64[D]",
        ),
        np.array([10.0, 5.0, 7.0, 20.0, 40.0, 99.0, 3.0]),
        calibration_end="2024-01-31",
    )
    assert summary.customer_ids.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(summary.frequency, [2, 0, 0])
    np.testing.assert_allclose(summary.recency, [4.0, 0.0, 0.0])
    np.testing.assert_allclose(summary.T, [30 / 7, 3.0, 2 / 7])
    # a: the first day (5 + 7) is excluded, repeat days are 20 and 40; b's Feb purchase is
    # after the calibration end.
    np.testing.assert_allclose(summary.monetary, [30.0, 0.0, 0.0])


def test_rfm_summary_unit_days_and_datetime_input() -> None:
    summary = rfm_summary(
        [7, 7],
        np.array(["2024-01-01T10:00", "2024-01-03T23:59"], dtype="datetime64[m]"),
        [1.0, 2.0],
        calibration_end=np.datetime64("2024-01-05"),
        unit_days=1,
    )
    np.testing.assert_allclose([summary.recency[0], summary.T[0]], [2.0, 4.0])


@pytest.mark.parametrize(
    ("ids", "dates", "values", "kwargs", "match"),
    [
        ([], [], [], {}, "empty"),
        ([1, 2], ["2024-01-01"], [1.0, 2.0], {}, "same length"),
        ([1], ["2024-01-01"], [-5.0], {}, "negative"),
        ([1], ["2024-01-01"], [np.nan], {}, "NaN"),
        ([1, 1], ["2024-01-01", "NaT"], [1.0, 1.0], {}, "NaT"),
        ([1], ["not a date"], [1.0], {}, "dates must be"),
        ([1], ["2024-03-01"], [1.0], {}, "no transaction is dated"),
        ([1], ["2024-01-01"], [1.0], {"unit_days": 0}, "unit_days"),
        ([1], ["2024-01-01"], [1.0], {"calibration_end": "soon"}, "calibration_end"),
        (np.array(["a", None], dtype=object), ["2024-01-01"] * 2, [1.0, 1.0], {}, "sortable"),
    ],
)
def test_rfm_summary_rejects_bad_input(ids, dates, values, kwargs, match) -> None:
    arguments = {"calibration_end": "2024-01-31", **kwargs}
    with pytest.raises(BTYDError, match=match):
        rfm_summary(np.array(ids), np.array(dates), np.array(values), **arguments)


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "match"),
    [
        ([], [], [], "empty"),
        ([1, 2], [1, 1], [2], "same length"),
        ([-1], [0], [1], "negative"),
        ([1], [-1], [1], "negative"),
        ([1], [np.nan], [2], "NaN"),
        ([1.5], [1], [2], "whole numbers"),
        ([1], [5], [3], "recency exceeds T"),
        ([0], [1], [2], "recency must be 0"),
        ([0, 0], [0, 0], [3, 3], "at least one customer with a repeat"),
    ],
)
def test_fit_bgnbd_rejects_bad_input(frequency, recency, T, match) -> None:
    with pytest.raises(BTYDError, match=match):
        fit_bgnbd(np.array(frequency), np.array(recency), np.array(T))


def test_fit_bgnbd_rejects_bad_weights() -> None:
    with pytest.raises(BTYDError, match="weights"):
        fit_bgnbd([1, 0], [1, 0], [2, 2], weights=[1.0])
    with pytest.raises(BTYDError, match="weights"):
        fit_bgnbd([1, 0], [1, 0], [2, 2], weights=[1.0, -1.0])


@pytest.mark.parametrize(
    ("frequency", "monetary", "match"),
    [
        ([0, 0, 0], [0, 0, 0], "at least two customers"),
        ([1, 2, 3], [10, 0, 5], "mean transaction value <= 0"),
        ([1, 2], [10, -3], "negative"),
        ([1, 2], [10, np.inf], "finite"),
        ([1, 2, 3], [1, 2], "incompatible shapes"),
    ],
)
def test_fit_gamma_gamma_rejects_bad_input(frequency, monetary, match) -> None:
    with pytest.raises(BTYDError, match=match):
        fit_gamma_gamma(np.array(frequency), np.array(monetary))


def test_fit_reports_non_convergence(monkeypatch: pytest.MonkeyPatch) -> None:
    def gives_up(fun, x0, **kwargs):
        return optimize.OptimizeResult(
            x=x0, fun=fun(x0)[0], success=False, message="ABNORMAL: gave up"
        )

    monkeypatch.setattr(btyd.optimize, "minimize", gives_up)
    with pytest.raises(ConvergenceError, match="did not converge"):
        fit_bgnbd([1, 2, 0], [1.0, 2.0, 0.0], [3.0, 3.0, 3.0])


def test_fit_reports_parameters_running_off(monkeypatch: pytest.MonkeyPatch) -> None:
    def runs_off(fun, x0, **kwargs):
        x = np.array([0.0, 1.0, 20.0, 19.0])  # log(a) at the upper bound
        return optimize.OptimizeResult(x=x, fun=fun(x)[0], success=True, message="", nit=9)

    monkeypatch.setattr(btyd.optimize, "minimize", runs_off)
    with pytest.raises(ConvergenceError, match="a -> infinity"):
        fit_bgnbd([1, 2, 0], [1.0, 2.0, 0.0], [3.0, 3.0, 3.0])


def test_errors_are_value_errors() -> None:
    assert issubclass(ConvergenceError, BTYDError)
    assert issubclass(BTYDError, ValueError)


def test_predictions_reject_negative_horizon() -> None:
    with pytest.raises(BTYDError, match="horizon"):
        prob_no_transaction(PAPER_BGNBD, -1.0, 1, 1.0, 2.0)
    with pytest.raises(BTYDError, match="horizon"):
        btyd_forecast(_tiny_summary(), horizon_units=-1.0, bgnbd=PAPER_BGNBD, gg=PAPER_GAMMA_GAMMA)


# --------------------------------------------------------------------------------------------
# BG/NBD against its generative process
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated() -> btyd.BGNBDSimulation:
    rng = np.random.default_rng(20050101)
    T = rng.choice([13.0, 26.0, 39.0], size=200_000)
    return simulate_bgnbd(PAPER_BGNBD, T, horizon_units=HOLDOUT_WEEKS, rng=rng)


def _groups(frequency: np.ndarray) -> list[np.ndarray]:
    """Customers by number of repeat transactions: 0..5 and 6+."""
    return [frequency == k for k in range(6)] + [frequency >= 6]


def test_prob_no_transaction_matches_monte_carlo(simulated: btyd.BGNBDSimulation) -> None:
    sim = simulated
    predicted = prob_no_transaction(PAPER_BGNBD, HOLDOUT_WEEKS, sim.frequency, sim.recency, sim.T)
    observed = sim.holdout_frequency == 0
    late = sim.recency > 2 * sim.T / 3
    groups = [g & part for g in _groups(sim.frequency) for part in (late, ~late)]
    for group in (g for g in groups if g.sum() >= 500):
        rate = observed[group].mean()
        standard_error = np.sqrt(rate * (1 - rate) / group.sum())
        assert abs(predicted[group].mean() - rate) < 4 * standard_error + 1e-3
    # The naive score 1 - P(alive) is far off for the same groups (0 for one-time buyers).
    naive = 1.0 - prob_alive(PAPER_BGNBD, sim.frequency, sim.recency, sim.T)
    zero = sim.frequency == 0
    assert naive[zero].max() == 0.0
    assert observed[zero].mean() > 0.7


def test_prob_alive_matches_monte_carlo(simulated: btyd.BGNBDSimulation) -> None:
    sim = simulated
    predicted = prob_alive(PAPER_BGNBD, sim.frequency, sim.recency, sim.T)
    for group in _groups(sim.frequency):
        rate = sim.alive[group].mean()
        standard_error = np.sqrt(max(rate * (1 - rate), 1e-4) / group.sum())
        assert abs(predicted[group].mean() - rate) < 4 * standard_error + 1e-3


def test_expected_transactions_matches_monte_carlo(simulated: btyd.BGNBDSimulation) -> None:
    sim = simulated
    predicted = expected_transactions(PAPER_BGNBD, HOLDOUT_WEEKS, sim.frequency, sim.recency, sim.T)
    for group in _groups(sim.frequency):
        counts = sim.holdout_frequency[group]
        standard_error = counts.std() / np.sqrt(group.sum())
        assert abs(predicted[group].mean() - counts.mean()) < 4 * standard_error + 1e-3


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(7)
    truth = BGNBDParams(r=0.8, alpha=6.0, a=1.6, b=4.0)
    sim = simulate_bgnbd(truth, rng.uniform(20.0, 52.0, size=20_000), rng=rng)
    fitted = fit_bgnbd(sim.frequency, sim.recency, sim.T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=0.15), name


# --------------------------------------------------------------------------------------------
# BG/NBD formulas
# --------------------------------------------------------------------------------------------


def test_prob_no_transaction_closed_form() -> None:
    p, t = PAPER_BGNBD, 10.0
    # One-time buyers are alive for sure: P(0) is the Gamma-Poisson zero term.
    assert prob_no_transaction(p, t, 0, 0.0, 20.0) == pytest.approx(
        ((p.alpha + 20.0) / (p.alpha + 20.0 + t)) ** p.r
    )
    alive = prob_alive(p, 3, 5.0, 20.0)
    expected = 1 - alive + alive * ((p.alpha + 20.0) / (p.alpha + 20.0 + t)) ** (p.r + 3)
    assert prob_no_transaction(p, t, 3, 5.0, 20.0) == pytest.approx(expected)


def test_prob_no_transaction_shape() -> None:
    horizons = np.array([0.0, 1.0, 10.0, 100.0, 1e6])
    probabilities = prob_no_transaction(PAPER_BGNBD, horizons, 4, 10.0, 30.0)
    assert probabilities[0] == 1.0
    assert (np.diff(probabilities) < 0).all()
    # In the long run the customer buys again unless dropped out.
    dead = 1 - prob_alive(PAPER_BGNBD, 4, 10.0, 30.0)
    assert probabilities[-1] == pytest.approx(dead, abs=1e-3)


@pytest.mark.parametrize("params", [PAPER_BGNBD, BGNBDParams(r=2.0, alpha=10.0, a=1.8, b=5.0)])
def test_expected_transactions_matches_unconditional_formula(params: BGNBDParams) -> None:
    # With no history (x = 0, T = 0) it is FHL (2005) equation (9).
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    for t in (1.0, 39.0, 520.0):
        unconditional = (a + b - 1) / (a - 1)
        unconditional *= 1 - (alpha / (alpha + t)) ** r * special.hyp2f1(
            r, b, a + b - 1, t / (alpha + t)
        )
        assert expected_transactions(params, t, 0, 0.0, 0.0) == pytest.approx(unconditional)


def test_expected_transactions_matches_untransformed_formula() -> None:
    r, alpha, a, b = PAPER_BGNBD.r, PAPER_BGNBD.alpha, PAPER_BGNBD.a, PAPER_BGNBD.b
    x, t_x, T, t = 5.0, 30.0, 38.0, 39.0
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    expected = (a + b + x - 1) / (a - 1) * bracket / (1 + odds)
    assert expected_transactions(PAPER_BGNBD, t, x, t_x, T) == pytest.approx(expected, rel=1e-9)


def test_expected_transactions_with_integer_a_and_long_horizon() -> None:
    # scipy's hyp2f1 returns NaN/inf here (integer a - 1, large x, z near 1).
    history = (np.array([100.0, 250.0, 1000.0]), np.array([50.0, 51.0, 52.0]), 52.0)
    exact = expected_transactions(BGNBDParams(r=2.0, alpha=1.0, a=3.0, b=0.5), 1e5, *history)
    nearby = expected_transactions(
        BGNBDParams(r=2.0, alpha=1.0, a=3.0 + 1e-7, b=0.5), 1e5, *history
    )
    np.testing.assert_allclose(exact, nearby, rtol=1e-6)


def test_expected_transactions_homogeneous_dropout_limit() -> None:
    # a, b in the millions: p is fixed at a / (a + b), where scipy's 2F1 gives up and the
    # quadrature fallback takes over. With fixed p, E = P(alive) (1 - (1 + p t / (alpha + T))
    # ** -(r + x)) / p.
    params = BGNBDParams(r=0.47, alpha=10.7, a=8.7e5, b=3.1e6)
    x, t_x, T, t = np.array([0.0, 1.0, 3.0, 10.0]), np.array([0.0, 5.0, 20.0, 30.0]), 40.0, 39.0
    p = params.a / (params.a + params.b)
    limit = (1 - (1 + p * t / (params.alpha + T)) ** -(params.r + x)) / p
    limit *= prob_alive(params, x, t_x, T)
    np.testing.assert_allclose(expected_transactions(params, t, x, t_x, T), limit, rtol=1e-4)


def test_weights_equal_repeated_rows() -> None:
    rng = np.random.default_rng(3)
    sim = simulate_bgnbd(PAPER_BGNBD, np.full(3000, 39.0), rng=rng)
    counts = rng.integers(1, 4, size=3000)
    weighted = fit_bgnbd(sim.frequency, sim.recency, sim.T, weights=counts)
    repeated = fit_bgnbd(*(np.repeat(v, counts) for v in (sim.frequency, sim.recency, sim.T)))
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-5)


# --------------------------------------------------------------------------------------------
# Gamma-Gamma and the forecast
# --------------------------------------------------------------------------------------------


def test_expected_average_value_shrinks_to_population_mean() -> None:
    gg = PAPER_GAMMA_GAMMA
    population = gg.p * gg.v / (gg.q - 1)
    values = expected_average_value(gg, np.array([0, 1, 100]), np.array([0.0, 50.0, 50.0]))
    assert values[0] == pytest.approx(population)
    assert population < values[1] < values[2] < 50.0
    assert values[2] == pytest.approx(50.0, rel=0.01)


def test_expected_average_value_needs_finite_population_mean() -> None:
    with pytest.raises(BTYDError, match="q = 0.9"):
        expected_average_value(GammaGammaParams(p=2.0, q=0.9, v=10.0), [0], [0.0])


def _tiny_summary() -> RFMSummary:
    return RFMSummary(
        customer_ids=np.array([1, 2, 3, 4, 5]),
        frequency=np.array([0.0, 1.0, 3.0, 250.0, 2.0]),
        recency=np.array([0.0, 0.001, 10.0, 51.9, 52.0]),
        T=np.array([0.0, 52.0, 52.0, 52.0, 52.0]),
        monetary=np.array([0.0, 0.0, 12.5, 80.0, 1e-9]),
    )


@pytest.mark.parametrize("horizon", [0.0, 1e-6, 1.0, 52.0, 1e5])
@pytest.mark.parametrize(
    "bgnbd", [PAPER_BGNBD, BGNBDParams(r=2.0, alpha=1.0, a=3.0, b=0.5), BGNBDParams(1, 1, 1, 1)]
)
def test_forecast_is_never_negative(horizon: float, bgnbd: BGNBDParams) -> None:
    forecast = btyd_forecast(
        _tiny_summary(), horizon_units=horizon, bgnbd=bgnbd, gg=PAPER_GAMMA_GAMMA
    )
    for values in (
        forecast.expected_transactions,
        forecast.expected_average_value,
        forecast.expected_spend,
    ):
        assert np.isfinite(values).all()
        assert (values >= 0).all()
    assert ((forecast.prob_no_transaction >= 0) & (forecast.prob_no_transaction <= 1)).all()
    np.testing.assert_allclose(
        forecast.expected_spend, forecast.expected_transactions * forecast.expected_average_value
    )


def test_forecast_fits_missing_parameters(cdnow_summary: RFMSummary, cdnow_fit: tuple) -> None:
    forecast = btyd_forecast(cdnow_summary, horizon_units=HOLDOUT_WEEKS)
    bgnbd, gg = cdnow_fit
    assert forecast.bgnbd == bgnbd
    assert forecast.gamma_gamma == gg
    np.testing.assert_array_equal(forecast.customer_ids, cdnow_summary.customer_ids)


# --------------------------------------------------------------------------------------------
# JSON artifacts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4, n_customers=7),
        GammaGammaParams(p=6.25, q=3.74, v=15.45, log_likelihood=-4055.9, n_customers=946),
        BGNBDParams(r=0.1, alpha=2.0, a=0.5, b=3.0),  # unknown log-likelihood (NaN)
    ],
)
def test_json_round_trip(params: BGNBDParams | GammaGammaParams) -> None:
    document = to_json(params)
    text = json.dumps(document, allow_nan=False)  # plain JSON, no NaN tokens
    for restored in (from_json(json.loads(text)), from_json(text)):
        assert type(restored) is type(params)
        for name, value in vars(params).items():
            if np.isnan(value):
                assert np.isnan(getattr(restored, name))
            else:
                assert getattr(restored, name) == value


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "JSON object"),
        ({"model": "pareto_nbd", "format_version": 1, "params": {}}, "unknown BTYD model"),
        ({"model": "bgnbd", "format_version": 99, "params": {}}, "format_version"),
        ({"model": "bgnbd", "format_version": 1}, "no 'params'"),
        ({"model": "gamma_gamma", "format_version": 1, "params": {"p": 1.0}}, "missing"),
        (
            {
                "model": "gamma_gamma",
                "format_version": 1,
                "params": {"p": "6", "q": 3.7, "v": 15.4, "log_likelihood": None, "n_customers": 1},
            },
            "p must be a number",
        ),
    ],
)
def test_from_json_rejects_bad_documents(document, match) -> None:
    with pytest.raises(BTYDError, match=match):
        from_json(document)


def test_from_json_rejects_non_positive_parameters() -> None:
    document = to_json(PAPER_GAMMA_GAMMA)
    document["params"]["q"] = -1.0
    with pytest.raises(BTYDError, match="q must be a positive number"):
        from_json(document)


def test_to_json_rejects_other_objects() -> None:
    with pytest.raises(BTYDError, match="cannot serialise"):
        to_json(_tiny_summary())  # type: ignore[arg-type]
