"""Buy-till-you-die (BTYD) models: BG/NBD for repeat visits, Gamma-Gamma for spend.

Pure functions on numpy arrays, no IO. The usual flow is::

    summary = rfm_summary(guest_ids, stay_dates, stay_revenue, calibration_end=as_of)
    forecast = btyd_forecast(summary, horizon_units=52)
    churn_score = forecast.prob_no_transaction

Models (time is measured in units of ``unit_days``, weeks by default):

- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
  to the Pareto/NBD Model", Marketing Science 24(2). While alive a customer buys as a Poisson
  process with rate ``lambda ~ Gamma(r, alpha)``; after each repeat transaction they drop out
  for good with probability ``p ~ Beta(a, b)``.
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
  Base Analysis", Journal of Marketing Research 42(4). Transaction values are
  ``Gamma(p, nu)`` with ``nu ~ Gamma(q, v)`` per customer, independent of the buying process.

Churn score: under BG/NBD every one-time buyer has ``P(alive) = 1`` (nobody can drop out
before a repeat transaction), so ``1 - P(alive)`` ranks churners worse than random. Use
:func:`prob_no_transaction`, the probability of no transaction in the next ``t`` units.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

__all__ = [
    "BGNBDParams",
    "BGNBDSimulation",
    "BTYDError",
    "BTYDForecast",
    "ConvergenceError",
    "GammaGammaParams",
    "RFMSummary",
    "btyd_forecast",
    "expected_average_value",
    "expected_transactions",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "from_json",
    "prob_alive",
    "prob_no_transaction",
    "rfm_summary",
    "simulate_bgnbd",
    "to_json",
]

FloatArray = NDArray[np.float64]

_JSON_FORMAT_VERSION = 1
# Log-parameters are kept inside these bounds while optimising: exp(+-20) covers every
# plausible time unit and keeps the likelihood finite.
_LOG_BOUND = 20.0


class BTYDError(ValueError):
    """Input a BTYD model cannot use (empty, negative, inconsistent or malformed)."""


class ConvergenceError(BTYDError):
    """A BTYD likelihood maximisation did not converge."""


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RFMSummary:
    """Per-customer recency/frequency/monetary summary of a calibration period.

    Attributes:
        customer_ids: Customer identifiers, sorted ascending (one row per customer).
        frequency: Repeat transactions: distinct transaction days minus one.
        recency: Time from the first to the last transaction, in units.
        T: Time from the first transaction to the end of the calibration period, in units.
        monetary: Mean value of the repeat transactions (the first day excluded); 0 when
            ``frequency`` is 0.
        unit_days: Length of one time unit in days.
    """

    customer_ids: NDArray[Any]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray
    unit_days: float = 7.0

    def __len__(self) -> int:
        return int(self.frequency.shape[0])


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters.

    Attributes:
        r: Shape of the Gamma prior of the transaction rate.
        alpha: Rate (in units) of the Gamma prior of the transaction rate.
        a: First shape of the Beta prior of the dropout probability.
        b: Second shape of the Beta prior of the dropout probability.
        log_likelihood: Log-likelihood at the optimum (sum over customers).
        n_customers: Number of customers (sum of weights) the model was fitted on.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: float = 0.0


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma spend parameters.

    Attributes:
        p: Shape of the Gamma distribution of one transaction's value.
        q: Shape of the Gamma prior of the per-customer rate ``nu``.
        v: Rate of the Gamma prior of ``nu`` (in currency units).
        log_likelihood: Log-likelihood at the optimum (sum over repeat buyers).
        n_customers: Number of repeat buyers (sum of weights) the model was fitted on.
    """

    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")
    n_customers: float = 0.0

    @property
    def population_mean(self) -> float:
        """Mean transaction value of the population, ``p * v / (q - 1)`` (needs ``q > 1``)."""
        if self.q <= 1.0:
            raise BTYDError(
                f"Gamma-Gamma q = {self.q:.4g} <= 1: the population mean spend is infinite; "
                "the spend data are too heavy-tailed for this model"
            )
        return self.p * self.v / (self.q - 1.0)


@dataclass(frozen=True)
class BTYDForecast:
    """Per-customer BTYD forecast over a horizon (arrays aligned with ``customer_ids``).

    Attributes:
        customer_ids: Customer identifiers, as in the summary.
        horizon_units: Forecast horizon, in units.
        expected_transactions: Expected number of transactions in the horizon.
        prob_no_transaction: Probability of no transaction in the horizon (churn score).
        prob_alive: Probability the customer is still alive at the end of calibration.
        expected_average_value: Expected value of one future transaction.
        expected_spend: ``expected_transactions * expected_average_value``.
        bgnbd: The BG/NBD parameters used.
        gamma_gamma: The Gamma-Gamma parameters used.
    """

    customer_ids: NDArray[Any]
    horizon_units: float
    expected_transactions: FloatArray
    prob_no_transaction: FloatArray
    prob_alive: FloatArray
    expected_average_value: FloatArray
    expected_spend: FloatArray
    bgnbd: BGNBDParams
    gamma_gamma: GammaGammaParams


# --------------------------------------------------------------------------------------------
# RFM summary
# --------------------------------------------------------------------------------------------


def rfm_summary(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    values: ArrayLike,
    *,
    calibration_end: np.datetime64 | date | str,
    unit_days: float = 7.0,
) -> RFMSummary:
    """Summarise a transaction log into BTYD recency/frequency/monetary inputs.

    Several transactions of one customer on one day count as one transaction whose value is
    their sum. Transactions dated after ``calibration_end`` are ignored, so customers whose
    first transaction is later do not appear.

    Args:
        customer_ids: One customer identifier per transaction (any sortable dtype).
        dates: Transaction dates, ``datetime64`` (truncated to days) or ISO date strings.
        values: Transaction values, non-negative.
        calibration_end: Last day of the calibration period, inclusive.
        unit_days: Length of one time unit in days (7 = weeks).

    Returns:
        The summary, one row per customer, sorted by customer id.

    Raises:
        BTYDError: On empty or misaligned input, missing dates, negative or non-finite
            values, or no transaction on or before ``calibration_end``.
    """
    ids = np.asarray(customer_ids)
    try:
        days = np.asarray(dates, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise BTYDError(f"dates must be datetime64 or ISO date strings: {exc}") from exc
    vals = np.asarray(values, dtype=np.float64)
    if ids.ndim != 1 or days.ndim != 1 or vals.ndim != 1:
        raise BTYDError("customer_ids, dates and values must be one-dimensional arrays")
    if not (ids.shape == days.shape == vals.shape):
        raise BTYDError(
            "customer_ids, dates and values must have the same length, got "
            f"{ids.shape[0]}, {days.shape[0]} and {vals.shape[0]}"
        )
    if ids.shape[0] == 0:
        raise BTYDError("no transactions: the input arrays are empty")
    if np.isnat(days).any():
        raise BTYDError(f"dates contain {int(np.isnat(days).sum())} missing values (NaT)")
    if ids.dtype.kind == "f" and np.isnan(ids).any():
        raise BTYDError("customer_ids contain NaN")
    if not np.isfinite(vals).all():
        raise BTYDError("values contain NaN or infinite numbers")
    if (vals < 0).any():
        raise BTYDError(
            f"values contain {int((vals < 0).sum())} negative amounts; net refunds into their "
            "transactions (or drop them) before summarising"
        )
    if not unit_days > 0:
        raise BTYDError(f"unit_days must be positive, got {unit_days}")
    try:
        end = np.datetime64(calibration_end, "D")
    except (TypeError, ValueError) as exc:
        raise BTYDError(f"calibration_end is not a date: {calibration_end!r}") from exc
    if np.isnat(end):
        raise BTYDError("calibration_end is NaT")

    keep = days <= end
    if not keep.any():
        raise BTYDError(f"no transaction is dated on or before calibration_end {end}")
    ids, days, vals = ids[keep], days[keep], vals[keep]

    try:
        unique_ids, customer_index = np.unique(ids, return_inverse=True)
    except TypeError as exc:
        raise BTYDError(
            f"customer_ids must be of one sortable type (no missing values): {exc}"
        ) from exc
    origin = days.min()
    day_number = (days - origin).astype(np.int64)
    span = int(day_number.max()) + 1
    # One key per customer-day; sorting keys sorts by customer, then day.
    key = customer_index.astype(np.int64) * span + day_number
    unique_keys, key_index = np.unique(key, return_inverse=True)
    day_values = np.bincount(key_index, weights=vals)
    key_customer = unique_keys // span
    key_day = unique_keys % span

    n_days = np.bincount(key_customer, minlength=unique_ids.shape[0])
    starts = np.concatenate(([0], np.cumsum(n_days)[:-1]))
    ends = starts + n_days - 1
    first_day = key_day[starts]
    last_day = key_day[ends]
    total_value = np.add.reduceat(day_values, starts)

    frequency = (n_days - 1).astype(np.float64)
    end_day = int((end - origin).astype(np.int64))
    recency = (last_day - first_day) / unit_days
    T = (end_day - first_day) / unit_days
    repeat_value = total_value - day_values[starts]
    monetary = np.where(frequency > 0, repeat_value / np.maximum(frequency, 1.0), 0.0)
    return RFMSummary(
        customer_ids=unique_ids,
        frequency=frequency,
        recency=recency.astype(np.float64),
        T=T.astype(np.float64),
        monetary=np.maximum(monetary, 0.0),
        unit_days=float(unit_days),
    )


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _as_history(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, for_fit: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate (frequency, recency, T) and return them as float arrays of one shape."""
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(T, dtype=np.float64)
    if for_fit:
        if x.ndim != 1 or t_x.ndim != 1 or big_t.ndim != 1:
            raise BTYDError("frequency, recency and T must be one-dimensional arrays")
        if not (x.shape == t_x.shape == big_t.shape):
            raise BTYDError(
                "frequency, recency and T must have the same length, got "
                f"{x.shape[0]}, {t_x.shape[0]} and {big_t.shape[0]}"
            )
    else:
        try:
            x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
        except ValueError as exc:
            raise BTYDError(
                f"frequency, recency and T have incompatible shapes {x.shape}, {t_x.shape}, "
                f"{big_t.shape}"
            ) from exc
    if x.size == 0:
        raise BTYDError("no customers: frequency, recency and T are empty")
    for name, arr in (("frequency", x), ("recency", t_x), ("T", big_t)):
        if not np.isfinite(arr).all():
            raise BTYDError(f"{name} contains NaN or infinite values")
        if (arr < 0).any():
            raise BTYDError(f"{name} contains {int((arr < 0).sum())} negative values")
    if (x != np.round(x)).any():
        raise BTYDError("frequency must hold whole numbers of repeat transactions")
    tolerance = 1e-9 * max(1.0, float(big_t.max()))
    if (t_x > big_t + tolerance).any():
        n_bad = int((t_x > big_t + tolerance).sum())
        raise BTYDError(
            f"recency exceeds T for {n_bad} customers: the last transaction cannot come after "
            "the end of the calibration period"
        )
    if ((x == 0) & (t_x > 0)).any():
        raise BTYDError("recency must be 0 for customers with frequency 0")
    return x, np.minimum(t_x, big_t), big_t


def _as_weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise BTYDError(f"weights must have one value per customer ({n}), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise BTYDError("weights must be finite and non-negative")
    if w.sum() <= 0:
        raise BTYDError("weights sum to zero: nothing to fit")
    return w


def _as_horizon(t: ArrayLike) -> FloatArray:
    horizon = np.asarray(t, dtype=np.float64)
    if not np.isfinite(horizon).all() or (horizon < 0).any():
        raise BTYDError("the horizon t must be finite and non-negative")
    return horizon


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product of two long vectors (einsum: no BLAS thread start-up per call)."""
    return float(np.einsum("i,i->", u, v))


def _softplus(d: FloatArray) -> FloatArray:
    """``log(1 + exp(d))`` without overflow (faster than ``np.logaddexp(0, d)``)."""
    return np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))


def _unique_rows(*columns: FloatArray) -> tuple[list[FloatArray], NDArray[np.intp]]:
    """Distinct rows of equal-length ``columns`` and each row's index into them.

    A lexsort on the columns: much faster than ``np.unique(..., axis=0)``.
    """
    order = np.lexsort(columns[::-1])
    sorted_cols = [c[order] for c in columns]
    new_row = np.zeros(order.shape[0], dtype=bool)
    new_row[0] = True
    for c in sorted_cols:
        new_row[1:] |= c[1:] != c[:-1]
    inverse = np.empty(order.shape[0], dtype=np.intp)
    inverse[order] = np.cumsum(new_row) - 1
    return [c[new_row] for c in sorted_cols], inverse


def _compress(*columns: FloatArray, weights: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Collapse identical rows of ``columns``, summing their weights."""
    unique, inverse = _unique_rows(*columns)
    return unique, np.bincount(inverse, weights=weights, minlength=unique[0].shape[0])


def _minimize(
    objective: Any, x0: FloatArray, *, model: str, names: tuple[str, ...]
) -> optimize.OptimizeResult:
    """Minimise a smooth objective (value, gradient) in log-parameter space."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(names)
    options = {"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9}
    result = optimize.minimize(
        objective, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options
    )
    # L-BFGS-B can stop on a line-search failure on a flat ridge (e.g. a, b -> infinity when
    # the dropout probability is the same for everyone); restart from there before judging.
    iterations = int(result.get("nit", 0))
    for _ in range(2):
        if result.success or not np.isfinite(result.fun):
            break
        result = optimize.minimize(
            objective, result.x, jac=True, method="L-BFGS-B", bounds=bounds, options=options
        )
        iterations += int(result.get("nit", 0))
    _, grad = objective(result.x)
    # The objective is a mean log-likelihood per customer: a gradient of 1e-4 per unit of
    # log-parameter is far below anything that changes a prediction.
    if not np.isfinite(result.fun) or (not result.success and np.max(np.abs(grad)) > 1e-4):
        raise ConvergenceError(
            f"{model} fit did not converge (L-BFGS-B stopped after {iterations} iterations: "
            f"{str(result.message).strip(' :')}); the data do not identify the model (too few "
            "customers or repeat transactions)"
        )
    at_bound = [
        f"{name} -> {'infinity' if value > 0 else '0'}"
        for name, value in zip(names, result.x, strict=True)
        if abs(value) >= _LOG_BOUND - 1e-6
    ]
    if at_bound:
        raise ConvergenceError(
            f"{model} fit did not converge: {', '.join(at_bound)}; the data do not identify "
            "the model (too few customers or repeat transactions)"
        )
    return result


# --------------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------------


class _BGNBDLikelihood:
    """Negative mean log-likelihood of BG/NBD and its gradient in log-parameter space.

    Per customer, with ``A = B(a, b + x) / B(a, b) * (alpha + T) ** -(r + x)`` (alive at T)
    and ``D = B(a + 1, b + x - 1) / B(a, b) * (alpha + t_x) ** -(r + x)`` (dropped out after
    the last transaction, only when x > 0)::

        log L = lnG(r + x) - lnG(r) + r ln(alpha) + ln A + [x > 0] softplus(ln D - ln A)

    Everything except the softplus term is a sum of functions of x or of T alone, so it is
    computed from per-value weight totals; only repeat buyers need per-row work.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, big_t: FloatArray, w: FloatArray):
        self.total = float(w.sum())
        self.ux, ix = np.unique(x, return_inverse=True)
        self.uT, iT = np.unique(big_t, return_inverse=True)
        self.w_x = np.bincount(ix, weights=w, minlength=self.ux.shape[0])
        self.w_T = np.bincount(iT, weights=w, minlength=self.uT.shape[0])
        self.wx_T = np.bincount(iT, weights=w * x, minlength=self.uT.shape[0])
        repeat = x > 0
        self.repeat_x = self.ux > 0
        self.utx, self.itx = np.unique(t_x[repeat], return_inverse=True)
        self.ix = ix[repeat]
        self.iT = iT[repeat]
        self.x = x[repeat]
        self.w = w[repeat]

    def log_likelihood(self, params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = params
        ux, repeat_x = self.ux, self.repeat_x
        ux_rep = ux[repeat_x]
        beta_ab = special.betaln(a, b)
        psi_ab = special.digamma(a + b)

        # Per distinct x: the Gamma-Poisson constant and the "alive" Beta term.
        psi_abx = special.digamma(a + b + ux)
        lg = special.gammaln(r + ux) - special.gammaln(r) + r * np.log(alpha)
        la = special.betaln(a, b + ux) - beta_ab
        dlg_dr = special.digamma(r + ux) - special.digamma(r) + np.log(alpha)
        dla_da = psi_ab - psi_abx
        dla_db = special.digamma(b + ux) - psi_abx - special.digamma(b) + psi_ab
        # ln(D / A) through the Beta terms: betaln(a + 1, b + x - 1) - betaln(a, b + x).
        ldiff = np.zeros_like(ux)
        ldiff[repeat_x] = np.log(a) - np.log(b + ux_rep - 1.0)
        dldiff_da = np.where(repeat_x, 1.0 / a, 0.0)
        dldiff_db = np.zeros_like(ux)
        dldiff_db[repeat_x] = -1.0 / (b + ux_rep - 1.0)

        # Per distinct T: the (alpha + T) ** -(r + x) factor of A, summed over customers.
        log_aT = np.log(alpha + self.uT)
        inv_aT = 1.0 / (alpha + self.uT)
        ll = self.w_x @ (lg + la) - r * (self.w_T @ log_aT) - self.wx_T @ log_aT
        g_r = self.w_x @ dlg_dr - self.w_T @ log_aT
        g_alpha = -(r * self.w_T + self.wx_T) @ inv_aT + self.total * r / alpha
        g_a = self.w_x @ dla_da
        g_b = self.w_x @ dla_db

        # Per repeat buyer: softplus(ln D - ln A).
        rx = r + self.x
        log_ratio = np.log(alpha + self.utx)[self.itx] - log_aT[self.iT]
        d = ldiff[self.ix] - rx * log_ratio
        ll += _dot(self.w, _softplus(d))
        w_dead = self.w * special.expit(d)
        w_dead_x = np.bincount(self.ix, weights=w_dead, minlength=ux.shape[0])
        inv_diff = (1.0 / (alpha + self.utx))[self.itx] - inv_aT[self.iT]
        g_r -= _dot(w_dead, log_ratio)
        g_alpha -= _dot(w_dead, rx * inv_diff)
        g_a += w_dead_x @ dldiff_da
        g_b += w_dead_x @ dldiff_db
        return float(ll), np.array([g_r, g_alpha, g_a, g_b])

    def __call__(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        ll, grad = self.log_likelihood(params)
        return -ll / self.total, -grad * params / self.total


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    start: BGNBDParams | None = None,
) -> BGNBDParams:
    """Fit the BG/NBD model by maximum likelihood.

    Customers with the same (frequency, recency, T) share a likelihood term, so identical
    histories are collapsed first; fitting a million customers summarised on a day grid takes
    well under a second.

    Args:
        frequency: Repeat transactions per customer.
        recency: Time of the last transaction after the first, in units.
        T: Time from the first transaction to the end of calibration, in units.
        weights: Optional non-negative weight (count) per row.
        start: Parameters to start the search from (e.g. the previous month's fit, which
            is near this one's optimum and saves most iterations); the optimum is the same.

    Returns:
        The fitted parameters with the log-likelihood at the optimum.

    Raises:
        BTYDError: On invalid input.
        ConvergenceError: If the optimiser fails or a parameter runs off to 0 or infinity.
    """
    x, t_x, big_t = _as_history(frequency, recency, T, for_fit=True)
    w = _as_weights(weights, x.shape[0])
    (x, t_x, big_t), w = _compress(x, t_x, big_t, weights=w)
    if not (x > 0).any():
        raise BTYDError("BG/NBD needs at least one customer with a repeat transaction")
    likelihood = _BGNBDLikelihood(x, t_x, big_t, w)
    # Start from r = 1, a = b = 1 and alpha = the time for one repeat at the average rate.
    mean_rate = _dot(w, x) / _dot(w, np.maximum(big_t, 1e-12))
    alpha0 = np.clip(1.0 / max(mean_rate, 1e-12), 1e-6, 1e6)
    x0 = np.log(np.array([1.0, alpha0, 1.0, 1.0]))
    if start is not None:
        x0 = np.log(np.array([start.r, start.alpha, start.a, start.b]))
    result = _minimize(likelihood, x0, model="BG/NBD", names=("r", "alpha", "a", "b"))
    r, alpha, a, b = np.exp(result.x)
    return BGNBDParams(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=float(-result.fun * likelihood.total),
        n_customers=likelihood.total,
    )


def _log_dead_odds(
    params: BGNBDParams, x: FloatArray, t_x: FloatArray, big_t: FloatArray
) -> FloatArray:
    """log of P(data, dropped out) / P(data, alive); -inf for customers with no repeat."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (
            np.log(a)
            - np.log(b + x - 1.0)
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
    return np.where(x > 0, odds, -np.inf)


def prob_alive(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Probability that each customer is still alive at the end of calibration (BG/NBD).

    It is 1 for every customer with no repeat transaction: do not use ``1 - prob_alive`` as a
    churn score, use :func:`prob_no_transaction`.

    Args:
        params: Fitted BG/NBD parameters.
        frequency: Repeat transactions per customer.
        recency: Time of the last transaction after the first, in units.
        T: Time from the first transaction to the end of calibration, in units.

    Returns:
        ``P(alive | frequency, recency, T)``, broadcast over the inputs.
    """
    x, t_x, big_t = _as_history(frequency, recency, T, for_fit=False)
    return special.expit(-_log_dead_odds(params, x, t_x, big_t))


def prob_no_transaction(
    params: BGNBDParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Probability of no transaction in the next ``t`` units, ``P(X(T, T + t) = 0 | history)``.

    A dropped-out customer makes no transaction. An alive one makes none in ``(T, T + t]``
    with probability ``exp(-lambda t)`` (dropout only happens right after a transaction), and
    given the history and being alive, ``lambda ~ Gamma(r + x, alpha + T)``. Hence::

        P(0) = 1 - P(alive) + P(alive) * ((alpha + T) / (alpha + T + t)) ** (r + x)

    Args:
        params: Fitted BG/NBD parameters.
        t: Horizon length in units (scalar or broadcastable array).
        frequency: Repeat transactions per customer.
        recency: Time of the last transaction after the first, in units.
        T: Time from the first transaction to the end of calibration, in units.

    Returns:
        The probability, broadcast over the inputs; this is the BG/NBD churn score.
    """
    horizon = _as_horizon(t)
    x, t_x, big_t = _as_history(frequency, recency, T, for_fit=False)
    alive = special.expit(-_log_dead_odds(params, x, t_x, big_t))
    alpha_t = params.alpha + big_t
    p_quiet_if_alive = np.exp(-(params.r + x) * np.log1p(horizon / alpha_t))
    return np.clip(1.0 - alive * (1.0 - p_quiet_if_alive), 0.0, 1.0)


def _hyp2f1(p: float, q: float, c: FloatArray, z: FloatArray, *, nudge: float = 1e-9) -> FloatArray:
    """Gauss hypergeometric 2F1(p, q; c; z); NaN where scipy cannot evaluate it.

    ``scipy.special.hyp2f1`` returns inf/NaN for some integer ``q`` with large ``c`` and ``z``
    near 1 (e.g. BG/NBD with ``a = 3``); the function is smooth in its parameters, so those
    entries are recomputed with all three moved by a relative ``nudge``.
    """
    value = np.array(special.hyp2f1(p, q, c, z), dtype=np.float64)
    bad = ~np.isfinite(value)
    if bad.any():
        c_b, z_b = np.broadcast_arrays(c, z)
        shift = abs(q) * nudge if q != 0 else nudge
        value[bad] = special.hyp2f1(p + shift, q + shift, c_b[bad] + shift, z_b[bad])
    value[~np.isfinite(value)] = np.nan
    return value


def _alive_expectation_by_quadrature(
    params: BGNBDParams,
    horizon: FloatArray,
    x: FloatArray,
    big_t: FloatArray,
    *,
    n_nodes: int = 16,
    chunk: int = 4096,
) -> FloatArray:
    """E[X(T, T + t) | alive at T] by quadrature over the dropout probability.

    Given alive, ``lambda ~ Gamma(r + x, alpha + T)`` and ``p ~ Beta(a, b + x)``
    independently, and ``E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p``, so::

        E = E_p[(1 - (1 + p t / (alpha + T)) ** -(r + x)) / p]

    integrated on the Beta quantile scale with Gauss-Legendre panels that shrink
    geometrically towards 0 and 1 (the integrand is steep at small p for long horizons, the
    quantile function steep near 1). Used where
    the closed form's hypergeometric function cannot be evaluated (e.g. a, b in the millions).
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    to_half = np.geomspace(1e-14, 0.5, 12)
    edges = np.concatenate(([0.0], to_half, 1.0 - to_half[-2::-1], [1.0]))
    low, width = edges[:-1, None], np.diff(edges)[:, None]
    u = (low + width * (nodes + 1.0) / 2.0).ravel()
    node_weights = (width * weights / 2.0).ravel()
    unique_x, x_index = np.unique(x, return_inverse=True)
    dropout = special.betaincinv(a, b + unique_x[:, None], u[None, :])
    dropout = np.maximum(dropout, np.finfo(np.float64).tiny)
    scale = horizon / (alpha + big_t)
    result = np.empty(x.shape[0], dtype=np.float64)
    for start in range(0, x.shape[0], chunk):
        rows = slice(start, start + chunk)
        p = dropout[x_index[rows]]
        quiet = np.log1p(p * scale[rows, None]) * (r + x[rows, None])
        result[rows] = (-np.expm1(-quiet) / p) @ node_weights
    return result


def expected_transactions(
    params: BGNBDParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected number of transactions in the next ``t`` units, ``E[X(T, T + t) | history]``.

    Equation (10) of Fader, Hardie & Lee (2005)::

        (a + b + x - 1) / (a - 1)
        * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * 2F1(r + x, b + x; a + b + x - 1; z)]
        / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))

    with ``z = t / (alpha + T + t)``. The hypergeometric factor is evaluated after Euler's
    transformation, ``(1 - z) ** (r + x) * 2F1(r + x, b + x; c; z) =
    (1 - z) ** (a - 1) * 2F1(a + b - 1 - r, a - 1; c; z)``, which stays finite for large x.

    Args:
        params: Fitted BG/NBD parameters.
        t: Horizon length in units (scalar or broadcastable array).
        frequency: Repeat transactions per customer.
        recency: Time of the last transaction after the first, in units.
        T: Time from the first transaction to the end of calibration, in units.

    Returns:
        The expectation (never negative), broadcast over the inputs.
    """
    horizon = _as_horizon(t)
    x, t_x, big_t = _as_history(frequency, recency, T, for_fit=False)
    horizon, x, t_x, big_t = np.broadcast_arrays(horizon, x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-9:
        a = 1.0 + 1e-9  # the formula has a removable singularity at a = 1
    z = horizon / (alpha + big_t + horizon)
    c = a + b + x - 1.0
    hyp = _hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    # 1 - (1 - z)^(a - 1) * hyp, computed without cancellation for small z.
    log_power = (a - 1.0) * np.log1p(-z)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bracket = np.where(
            hyp > 0,
            -np.expm1(log_power + np.log(np.where(hyp > 0, hyp, 1.0))),
            1.0 - np.exp(log_power) * hyp,
        )
        if_alive = np.array(c / (a - 1.0) * bracket, dtype=np.float64)
    failed = ~np.isfinite(if_alive)
    if failed.any():
        # Customers with the same (t, x, T) share the integral.
        (t_u, x_u, big_t_u), inverse = _unique_rows(horizon[failed], x[failed], big_t[failed])
        if_alive[failed] = _alive_expectation_by_quadrature(params, t_u, x_u, big_t_u)[inverse]
    alive = special.expit(-_log_dead_odds(params, x, t_x, big_t))
    return np.maximum(if_alive * alive, 0.0)


@dataclass(frozen=True)
class BGNBDSimulation:
    """Customers drawn from the BG/NBD process (see :func:`simulate_bgnbd`).

    Attributes:
        frequency: Repeat transactions in ``(0, T]``.
        recency: Time of the last repeat transaction (0 when there is none).
        T: Length of each customer's calibration period.
        holdout_frequency: Transactions in ``(T, T + horizon_units]``.
        alive: Whether the customer is still alive at ``T``.
        rate: Each customer's transaction rate ``lambda``.
        dropout: Each customer's dropout probability ``p``.
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    holdout_frequency: FloatArray
    alive: NDArray[np.bool_]
    rate: FloatArray
    dropout: FloatArray


def simulate_bgnbd(
    params: BGNBDParams,
    T: ArrayLike,
    *,
    horizon_units: float = 0.0,
    rng: np.random.Generator,
) -> BGNBDSimulation:
    """Draw customers from the BG/NBD generative process (vectorised, for tests and benchmarks).

    Each customer makes a first transaction at time 0, then transacts as a Poisson process
    with rate ``lambda ~ Gamma(r, alpha)``; right after each repeat transaction they drop out
    with probability ``p ~ Beta(a, b)``. The repeat transaction after which a customer drops
    out is ``D ~ Geometric(p)``; with ``N ~ Poisson(lambda T)`` arrivals in ``(0, T]`` the
    customer makes ``x = min(N, D)`` of them, the last one at the x-th of N uniform order
    statistics on ``(0, T]``.

    Args:
        params: BG/NBD parameters to simulate from.
        T: Calibration length per customer, in units (one customer per element).
        horizon_units: Length of the holdout period after ``T``.
        rng: Random generator.

    Returns:
        Calibration histories, holdout counts and the latent per-customer draws.
    """
    big_t = np.asarray(T, dtype=np.float64).ravel()
    if big_t.size == 0 or not np.isfinite(big_t).all() or (big_t < 0).any():
        raise BTYDError("T must be a non-empty array of finite, non-negative lengths")
    if not np.isfinite(horizon_units) or horizon_units < 0:
        raise BTYDError(f"horizon_units must be finite and non-negative, got {horizon_units}")
    n = big_t.shape[0]
    rate = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    dropout = np.clip(rng.beta(params.a, params.b, size=n), 1e-12, 1.0)
    drop_after = rng.geometric(dropout)
    arrivals = rng.poisson(rate * big_t)
    x = np.minimum(arrivals, drop_after)
    alive = arrivals < drop_after
    # The x-th of N uniform order statistics on (0, T] is T * Beta(x, N - x + 1).
    recency = np.where(x > 0, big_t * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    later = rng.poisson(rate * horizon_units)
    holdout = np.where(alive, np.minimum(later, drop_after - arrivals), 0)
    return BGNBDSimulation(
        frequency=x.astype(np.float64),
        recency=recency,
        T=big_t,
        holdout_frequency=holdout.astype(np.float64),
        alive=alive,
        rate=rate,
        dropout=dropout,
    )


# --------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------


class _GammaGammaLikelihood:
    """Negative mean log-likelihood of Gamma-Gamma and its gradient in log-parameter space.

    Per customer::

        log f(m | x) = lnG(px + q) - lnG(px) - lnG(q) + q ln v + (px - 1) ln m + px ln x
                       - (px + q) ln(v + m x)

    Terms in ``ln m`` and ``ln x`` reduce to weighted sums computed once; gamma functions are
    evaluated once per distinct x.
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray):
        self.ux, ix = np.unique(x, return_inverse=True)
        self.w_x = np.bincount(ix, weights=w, minlength=self.ux.shape[0])
        self.mx = m * x
        self.w = w
        self.wx = w * x
        self.total = float(w.sum())
        self.sum_wx_logmx = _dot(self.wx, np.log(self.mx))
        self.sum_w_logm = _dot(w, np.log(m))

    def log_likelihood(self, params: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = params
        ux, w_x = self.ux, self.w_x
        pux = p * ux
        dpsi = special.digamma(pux + q)
        log_vmx = np.log(v + self.mx)
        inv_vmx = 1.0 / (v + self.mx)
        wx_log, w_log = _dot(self.wx, log_vmx), _dot(self.w, log_vmx)
        wx_inv, w_inv = _dot(self.wx, inv_vmx), _dot(self.w, inv_vmx)
        ll = (
            w_x @ (special.gammaln(pux + q) - special.gammaln(pux))
            - self.total * (special.gammaln(q) - q * np.log(v))
            + p * self.sum_wx_logmx
            - self.sum_w_logm
            - p * wx_log
            - q * w_log
        )
        g_p = w_x @ (ux * (dpsi - special.digamma(pux))) + self.sum_wx_logmx - wx_log
        g_q = w_x @ dpsi - self.total * (special.digamma(q) - np.log(v)) - w_log
        g_v = self.total * q / v - p * wx_inv - q * w_inv
        return float(ll), np.array([g_p, g_q, g_v])

    def __call__(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        ll, grad = self.log_likelihood(params)
        return -ll / self.total, -grad * params / self.total


def _as_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError as exc:
        raise BTYDError(
            f"frequency and monetary have incompatible shapes {x.shape} and {m.shape}"
        ) from exc
    if x.size == 0:
        raise BTYDError("no customers: frequency and monetary are empty")
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise BTYDError("frequency and monetary must be finite")
    if (x < 0).any() or (x != np.round(x)).any():
        raise BTYDError("frequency must hold non-negative whole numbers")
    if (m < 0).any():
        raise BTYDError(f"monetary contains {int((m < 0).sum())} negative values")
    return x, m


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    start: GammaGammaParams | None = None,
) -> GammaGammaParams:
    """Fit the Gamma-Gamma spend model on the repeat buyers.

    Rows with ``frequency == 0`` are ignored, so the whole customer base can be passed.

    Args:
        frequency: Repeat transactions per customer.
        monetary: Mean value of each customer's repeat transactions.
        weights: Optional non-negative weight (count) per row.
        start: Parameters to start the search from (e.g. the previous month's fit).

    Returns:
        The fitted parameters with the log-likelihood at the optimum.

    Raises:
        BTYDError: On invalid input, or a repeat buyer with a non-positive mean value.
        ConvergenceError: If the optimiser fails or a parameter runs off to 0 or infinity.
    """
    x, m = _as_spend(frequency, monetary)
    if x.ndim != 1:
        raise BTYDError("frequency and monetary must be one-dimensional arrays")
    w = _as_weights(weights, x.shape[0])
    repeat = (x > 0) & (w > 0)
    if repeat.sum() < 2:
        raise BTYDError("Gamma-Gamma needs at least two customers with frequency > 0")
    x, m, w = x[repeat], m[repeat], w[repeat]
    if (m <= 0).any():
        raise BTYDError(
            f"{int((m <= 0).sum())} repeat buyers have a mean transaction value <= 0; "
            "Gamma-Gamma needs positive spend (drop zero-value customers first)"
        )
    likelihood = _GammaGammaLikelihood(x, m, w)
    # Start at p = 1, q = 2 and v so that the population mean matches the data's mean.
    mean_value = _dot(w, m) / likelihood.total
    x0 = np.log(np.array([1.0, 2.0, mean_value]))
    if start is not None:  # e.g. the previous month's fit: same optimum, fewer iterations
        x0 = np.log(np.array([start.p, start.q, start.v]))
    result = _minimize(likelihood, x0, model="Gamma-Gamma", names=("p", "q", "v"))
    p, q, v = np.exp(result.x)
    return GammaGammaParams(
        p=float(p),
        q=float(q),
        v=float(v),
        log_likelihood=float(-result.fun * likelihood.total),
        n_customers=likelihood.total,
    )


def expected_average_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Expected value of a customer's future transactions under Gamma-Gamma.

    ``(p * (v + x * m)) / (p * x + q - 1)``: a weighted mean of the population mean
    ``p * v / (q - 1)`` and the customer's observed mean ``m``. Customers with
    ``frequency == 0`` get the population mean.

    Args:
        params: Fitted Gamma-Gamma parameters.
        frequency: Repeat transactions per customer.
        monetary: Mean value of each customer's repeat transactions (ignored when 0 repeats).

    Returns:
        The expected transaction value, broadcast over the inputs.

    Raises:
        BTYDError: If ``q <= 1`` (the population mean is infinite) or inputs are invalid.
    """
    x, m = _as_spend(frequency, monetary)
    population = params.population_mean
    shrink = (params.q - 1.0) / (params.p * x + params.q - 1.0)
    observed = np.where(x > 0, m, 0.0)
    return np.maximum(shrink * population + (1.0 - shrink) * observed, 0.0)


# --------------------------------------------------------------------------------------------
# Forecast and artifacts
# --------------------------------------------------------------------------------------------


def btyd_forecast(
    summary: RFMSummary,
    *,
    horizon_units: float,
    bgnbd: BGNBDParams | None = None,
    gg: GammaGammaParams | None = None,
) -> BTYDForecast:
    """Forecast transactions, churn probability and spend over a horizon for every customer.

    Args:
        summary: The calibration summary (from :func:`rfm_summary`).
        horizon_units: Horizon length in units of ``summary.unit_days``.
        bgnbd: BG/NBD parameters; fitted on ``summary`` when not given.
        gg: Gamma-Gamma parameters; fitted on ``summary``'s repeat buyers when not given.

    Returns:
        The forecast, aligned with ``summary.customer_ids``, with the parameters used.
    """
    if not np.isfinite(horizon_units) or horizon_units < 0:
        raise BTYDError(f"horizon_units must be finite and non-negative, got {horizon_units}")
    if bgnbd is None:
        bgnbd = fit_bgnbd(summary.frequency, summary.recency, summary.T)
    if gg is None:
        gg = fit_gamma_gamma(summary.frequency, summary.monetary)
    history = (summary.frequency, summary.recency, summary.T)
    transactions = expected_transactions(bgnbd, horizon_units, *history)
    average_value = expected_average_value(gg, summary.frequency, summary.monetary)
    return BTYDForecast(
        customer_ids=summary.customer_ids,
        horizon_units=float(horizon_units),
        expected_transactions=transactions,
        prob_no_transaction=prob_no_transaction(bgnbd, horizon_units, *history),
        prob_alive=prob_alive(bgnbd, *history),
        expected_average_value=average_value,
        expected_spend=np.maximum(transactions * average_value, 0.0),
        bgnbd=bgnbd,
        gamma_gamma=gg,
    )


_MODELS: dict[str, type[BGNBDParams] | type[GammaGammaParams]] = {
    "bgnbd": BGNBDParams,
    "gamma_gamma": GammaGammaParams,
}


def to_json(params: BGNBDParams | GammaGammaParams) -> dict[str, Any]:
    """Fitted parameters as a plain JSON-serialisable dict (store it as a model artifact).

    Args:
        params: Fitted BG/NBD or Gamma-Gamma parameters.

    Returns:
        ``{"model": ..., "format_version": 1, "params": {...}}``; non-finite numbers
        (an unknown log-likelihood) become ``None``.
    """
    for name, cls in _MODELS.items():
        if type(params) is cls:
            values = {
                key: (float(value) if np.isfinite(value) else None)
                for key, value in asdict(params).items()
            }
            return {"model": name, "format_version": _JSON_FORMAT_VERSION, "params": values}
    raise BTYDError(f"cannot serialise {type(params).__name__}: not a BTYD parameter set")


def from_json(data: Mapping[str, Any] | str) -> BGNBDParams | GammaGammaParams:
    """Rebuild fitted parameters from :func:`to_json` output (a dict or its JSON text).

    Args:
        data: The dict returned by :func:`to_json`, or that dict dumped to a JSON string.

    Returns:
        The parameter dataclass named by ``data["model"]``.

    Raises:
        BTYDError: If the document is not a BTYD parameter set this version can read.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise BTYDError(f"BTYD parameters are not valid JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise BTYDError("BTYD parameters must be a JSON object")
    model = data.get("model")
    if model not in _MODELS:
        raise BTYDError(f"unknown BTYD model {model!r}; expected one of {sorted(_MODELS)}")
    version = data.get("format_version")
    if version != _JSON_FORMAT_VERSION:
        raise BTYDError(
            f"unsupported BTYD parameter format_version {version!r}; "
            f"this version reads {_JSON_FORMAT_VERSION}"
        )
    cls = _MODELS[model]
    raw = data.get("params")
    if not isinstance(raw, Mapping):
        raise BTYDError("BTYD parameters document has no 'params' object")
    fields = list(cls.__dataclass_fields__)
    missing = [key for key in fields if key not in raw]
    unknown = sorted(set(raw) - set(fields))
    if missing or unknown:
        raise BTYDError(f"{model} parameters: missing {missing}, unexpected {unknown}")
    values: dict[str, float] = {}
    for key in fields:
        value = raw[key]
        if value is None:
            values[key] = float("nan")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[key] = float(value)
        else:
            raise BTYDError(f"{model} parameter {key} must be a number, got {value!r}")
    for key in fields:
        if key not in ("log_likelihood", "n_customers"):
            if not (np.isfinite(values[key]) and values[key] > 0):
                raise BTYDError(
                    f"{model} parameter {key} must be a positive number, got {values[key]}"
                )
    return cls(**values)
