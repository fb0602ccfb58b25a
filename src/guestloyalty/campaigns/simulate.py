"""``guestloyalty campaign simulate``: what-if on today's guests, from the published gold.

The uplift model learns from the past campaigns (:mod:`guestloyalty.campaigns.targeting`),
scores the guests we may contact on a marketing channel (``next_best_action``), and
:func:`guestloyalty.campaigns.whatif.simulate` compares targeting by uplift x value, by churn
risk, by value and at random for each budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.campaigns.targeting import (
    bootstrap_uplift,
    contactable_ids,
    current_guests,
    fit_uplift,
)
from guestloyalty.campaigns.whatif import WhatIf, simulate
from guestloyalty.errors import NoDataError
from guestloyalty.warehouse import Layout, connect


@dataclass
class Simulation:
    """The model behind the what-if and one row per budget and strategy."""

    learner: str
    qini_by_learner: dict[str, float]
    training_members: int
    campaigns: int
    candidates: int
    rows: list[WhatIf]


def simulate_budgets(
    layout: Layout,
    budgets: list[int],
    *,
    cost: float = 0.0,
    draws: int = 10,
    seed: int = 0,
) -> Simulation:
    """What-if for each budget on the guests we may contact today."""
    if not layout.gold_path.exists():
        raise NoDataError(f"{layout.gold_path}: no published gold; run `guestloyalty pipeline`")
    with connect(layout.gold_path, read_only=True) as con:
        model, rows = fit_uplift(con, random_state=seed)
        current = current_guests(con)
        allowed = contactable_ids(con)
    keep = np.array([g in allowed for g in current.guest_id], dtype=bool)
    X = current.X[keep]
    uplift = model.predict(X)
    spread = bootstrap_uplift(model, rows, X, draws=draws, seed=seed) if draws > 1 else None
    out: list[WhatIf] = []
    for budget in budgets:
        out += simulate(
            uplift=uplift,
            value=current.value_per_return[keep],
            churn=current.churn[keep],
            clv=current.clv[keep],
            cost=cost,
            budget=budget,
            uplift_draws=spread,
            seed=seed,
        )
    return Simulation(
        learner=model.learner_,
        qini_by_learner=dict(model.scores_),
        training_members=len(rows.treatment),
        campaigns=len(set(rows.campaign.tolist())),
        candidates=int(keep.sum()),
        rows=out,
    )
