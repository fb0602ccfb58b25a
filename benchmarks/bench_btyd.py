"""Benchmark the BTYD models on a simulated customer base (1M customers by default).

Customers are drawn from the BG/NBD process with the CDNOW parameters of Fader, Hardie & Lee
(2005), with first purchases spread over 12 weeks and a 39-week calibration period like the
CDNOW sample; transactions land on whole days, spend follows Gamma-Gamma with the CDNOW
spend parameters. The benchmark times the RFM summary of the transaction log, the BG/NBD and
Gamma-Gamma fits (the target: both fits under 3 s for 1M customers) and the forecast.

Run: ``python benchmarks/bench_btyd.py [--customers N] [--repeats K] [--seed S]``.
Writes ``benchmarks/results/btyd.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from guestloyalty.models.btyd import (
    BGNBDParams,
    GammaGammaParams,
    btyd_forecast,
    fit_bgnbd,
    fit_gamma_gamma,
    rfm_summary,
    simulate_bgnbd,
)

CDNOW_BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_GAMMA_GAMMA = GammaGammaParams(p=6.25, q=3.74, v=15.45)
START = np.datetime64("1997-01-01")
ACQUISITION_DAYS = 84  # first purchases over 12 weeks
CALIBRATION_DAYS = 273  # 1997-01-01 .. 1997-09-30
UNIT_DAYS = 7.0
RESULTS = Path(__file__).resolve().parent / "results" / "btyd.json"


def simulate_log(
    n_customers: int, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Transaction log (ids, dates, values) of customers drawn from BG/NBD x Gamma-Gamma."""
    first_day = rng.integers(0, ACQUISITION_DAYS, size=n_customers)
    T = (CALIBRATION_DAYS - 1 - first_day) / UNIT_DAYS
    sim = simulate_bgnbd(CDNOW_BGNBD, T, rng=rng)
    x = sim.frequency.astype(np.int64)

    # Repeat transactions: the last at the recency, the others uniform before it.
    owner = np.repeat(np.arange(n_customers), x)
    times = rng.uniform(0.0, 1.0, size=owner.shape[0]) * sim.recency[owner]
    times[np.cumsum(x)[x > 0] - 1] = sim.recency[x > 0]
    repeat_day = first_day[owner] + np.floor(times * UNIT_DAYS).astype(np.int64)

    ids = np.concatenate((np.arange(n_customers), owner))
    days = np.concatenate((first_day, repeat_day))
    gg = CDNOW_GAMMA_GAMMA
    nu = rng.gamma(gg.q, 1.0 / gg.v, size=n_customers)
    values = rng.gamma(gg.p, 1.0 / nu[ids])
    return ids, START + days.astype("timedelta64[D]"), values, sim


def timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    """Result of the last call and the best wall time over ``repeats`` calls."""
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="report the best of K runs")
    parser.add_argument("--seed", type=int, default=20050101)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    start = time.perf_counter()
    ids, dates, values, sim = simulate_log(args.customers, rng=rng)
    simulate_s = time.perf_counter() - start
    end = START + np.timedelta64(CALIBRATION_DAYS - 1, "D")

    summary, rfm_s = timed(
        lambda: rfm_summary(ids, dates, values, calibration_end=end, unit_days=UNIT_DAYS),
        args.repeats,
    )
    history = (summary.frequency, summary.recency, summary.T)
    bgnbd, bgnbd_s = timed(lambda: fit_bgnbd(*history), args.repeats)
    gg, gg_s = timed(lambda: fit_gamma_gamma(summary.frequency, summary.monetary), args.repeats)
    forecast, forecast_s = timed(
        lambda: btyd_forecast(summary, horizon_units=39.0, bgnbd=bgnbd, gg=gg), args.repeats
    )
    continuous, continuous_s = timed(
        lambda: fit_bgnbd(sim.frequency, sim.recency, sim.T), args.repeats
    )
    distinct = np.unique(np.stack(history), axis=1).shape[1]
    n_repeat = int((summary.frequency > 0).sum())

    rows = [
        ("simulate transaction log (not timed target)", simulate_s, f"{ids.shape[0]:,} rows"),
        ("rfm_summary", rfm_s, f"{len(summary):,} customers"),
        ("fit_bgnbd", bgnbd_s, f"{distinct:,} distinct (x, t_x, T)"),
        ("fit_gamma_gamma", gg_s, f"{n_repeat:,} repeat buyers"),
        ("**fit total (BG/NBD + Gamma-Gamma)**", bgnbd_s + gg_s, "target < 3 s"),
        ("btyd_forecast (39 weeks, given params)", forecast_s, f"{len(summary):,} customers"),
        ("fit_bgnbd, continuous-time histories", continuous_s, "no ties to compress"),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"BTYD benchmark: {args.customers:,} customers, best of {args.repeats}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f}\n"
    )
    print("| step | seconds | size |")
    print("|---|---:|---|")
    for name, seconds, size in rows:
        print(f"| {name} | {seconds:.3f} | {size} |")

    fitted = [
        ("BG/NBD", CDNOW_BGNBD, bgnbd, ("r", "alpha", "a", "b")),
        ("BG/NBD (continuous)", CDNOW_BGNBD, continuous, ("r", "alpha", "a", "b")),
        ("Gamma-Gamma", CDNOW_GAMMA_GAMMA, gg, ("p", "q", "v")),
    ]
    print("\n| model | parameter | simulated from | fitted |")
    print("|---|---|---:|---:|")
    for model, truth, fit, names in fitted:
        for name in names:
            print(f"| {model} | {name} | {getattr(truth, name):.4g} | {getattr(fit, name):.4g} |")
    print(
        f"\nforecast: mean P(no transaction in 39 weeks) "
        f"{forecast.prob_no_transaction.mean():.3f}, "
        f"mean expected spend {forecast.expected_spend.mean():.2f}"
    )

    result = {
        "customers": args.customers,
        "transactions": int(ids.shape[0]),
        "repeat_buyers": n_repeat,
        "distinct_histories": int(distinct),
        "repeats": args.repeats,
        "seed": args.seed,
        "seconds": {
            "simulate": simulate_s,
            "rfm_summary": rfm_s,
            "fit_bgnbd": bgnbd_s,
            "fit_gamma_gamma": gg_s,
            "fit_total": bgnbd_s + gg_s,
            "btyd_forecast": forecast_s,
            "fit_bgnbd_continuous": continuous_s,
        },
        "fitted": {
            "bgnbd": {n: getattr(bgnbd, n) for n in ("r", "alpha", "a", "b")},
            "bgnbd_continuous": {n: getattr(continuous, n) for n in ("r", "alpha", "a", "b")},
            "gamma_gamma": {n: getattr(gg, n) for n in ("p", "q", "v")},
        },
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min": load,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
