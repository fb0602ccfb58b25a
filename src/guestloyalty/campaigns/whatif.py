"""What-if: for a budget of N offers, what each way of choosing the N would bring.

Pure numpy. Per guest: the estimated uplift (P(return) with the offer minus without), the
value of a return, churn risk and lifetime value; ``uplift_draws`` holds the uplift of the
same guests by models refitted on resampled campaigns (the model's uncertainty). A strategy
picks the N guests with the highest score; its expected incremental returns are the sum of
their uplift, revenue the sum of uplift x value, and the 95% interval adds the spread of the
refitted models to the chance in who actually returns (each pick a Bernoulli trial).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

STRATEGIES: tuple[str, ...] = ("uplift_value", "churn_risk", "value", "random")


@dataclass(frozen=True)
class WhatIf:
    """Expected outcome of one targeting strategy for one budget."""

    strategy: str
    offers: int
    incremental_stays: float
    incremental_stays_lower_95: float
    incremental_stays_upper_95: float
    incremental_revenue: float
    incremental_revenue_lower_95: float
    incremental_revenue_upper_95: float
    offer_cost: float
    net_value: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def strategy_scores(
    strategy: str,
    *,
    uplift: np.ndarray,
    value: np.ndarray,
    churn: np.ndarray,
    clv: np.ndarray,
    cost: float,
    seed: int = 0,
) -> np.ndarray:
    """The score a strategy ranks guests by (higher first)."""
    if strategy == "uplift_value":
        return uplift * value - cost
    if strategy == "churn_risk":
        return np.asarray(churn, dtype=np.float64)
    if strategy == "value":
        return np.asarray(clv, dtype=np.float64)
    if strategy == "random":
        return np.random.default_rng(seed).random(len(uplift))
    raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")


def top(score: np.ndarray, budget: int) -> np.ndarray:
    """Indexes of the ``budget`` highest scores (ties: earlier rows first)."""
    order = np.argsort(
        -np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf), kind="stable"
    )
    return order[: max(0, min(budget, len(order)))]


def simulate(
    *,
    uplift: np.ndarray,
    value: np.ndarray,
    churn: np.ndarray,
    clv: np.ndarray,
    cost: float,
    budget: int,
    uplift_draws: np.ndarray | None = None,
    strategies: tuple[str, ...] = STRATEGIES,
    seed: int = 0,
) -> list[WhatIf]:
    """One :class:`WhatIf` per strategy for ``budget`` offers."""
    uplift = np.asarray(uplift, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    draws = uplift[None, :] if uplift_draws is None else np.asarray(uplift_draws, dtype=np.float64)
    out = []
    for strategy in strategies:
        chosen = top(
            strategy_scores(
                strategy, uplift=uplift, value=value, churn=churn, clv=clv, cost=cost, seed=seed
            ),
            budget,
        )
        p = np.clip(np.abs(uplift[chosen]), 0.0, 1.0)
        chance_stays = float(np.sum(p * (1 - p)))
        chance_revenue = float(np.sum(p * (1 - p) * value[chosen] ** 2))
        model_stays = float(np.var(draws[:, chosen].sum(axis=1))) if len(draws) > 1 else 0.0
        model_revenue = (
            float(np.var((draws[:, chosen] * value[chosen]).sum(axis=1))) if len(draws) > 1 else 0.0
        )
        stays = float(uplift[chosen].sum())
        revenue = float((uplift[chosen] * value[chosen]).sum())
        half_stays = 1.96 * np.sqrt(chance_stays + model_stays)
        half_revenue = 1.96 * np.sqrt(chance_revenue + model_revenue)
        spend = float(cost * len(chosen))
        out.append(
            WhatIf(
                strategy=strategy,
                offers=int(len(chosen)),
                incremental_stays=round(stays, 2),
                incremental_stays_lower_95=round(stays - half_stays, 2),
                incremental_stays_upper_95=round(stays + half_stays, 2),
                incremental_revenue=round(revenue, 2),
                incremental_revenue_lower_95=round(revenue - half_revenue, 2),
                incremental_revenue_upper_95=round(revenue + half_revenue, 2),
                offer_cost=round(spend, 2),
                net_value=round(revenue - spend, 2),
            )
        )
    return out
