"""The pipeline's uplift stage: what an offer would change for each guest, for
``next_best_action`` to target by (``Settings.nba_targeting = "uplift"``).

The uplift model learns from the past campaigns with holdouts in the gold build
(:func:`guestloyalty.campaigns.targeting.fit_uplift`) and scores every guest of the current
snapshot; ``guest_uplift`` holds per guest the estimated uplift (P(return) with an offer minus
without), the value of a return, the offer cost and the expected net value
``uplift x value - cost``. With too little campaign history the table stays empty and
next_best_action targets by risk, saying so in its ``targeting`` column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from guestloyalty.campaigns.targeting import NoCampaignHistoryError, current_guests, fit_uplift
from guestloyalty.warehouse import connect

if TYPE_CHECKING:
    from guestloyalty.config import Settings
    from guestloyalty.warehouse import Layout

GUEST_UPLIFT_DDL = """
create or replace table guest_uplift (
    guest_id varchar not null,
    uplift_learner varchar not null,
    estimated_uplift double not null,
    value_per_return double not null,
    offer_cost double not null,
    expected_net_value double not null
)
"""


def expected_net_value(uplift: np.ndarray, value: np.ndarray, cost: float) -> np.ndarray:
    """Expected incremental value of one offer minus its cost, per guest."""
    return np.asarray(uplift, dtype=np.float64) * np.asarray(value, dtype=np.float64) - cost


def write_guest_uplift(layout: Layout, settings: Settings) -> dict[str, object]:
    """Fit the uplift model on the build's past campaigns and write ``guest_uplift``."""
    with connect(layout.gold_build_path) as con:
        con.execute(GUEST_UPLIFT_DDL)
        try:
            model, rows = fit_uplift(con, random_state=settings.seed)
        except NoCampaignHistoryError as error:
            return {"targeting": "risk", "reason": str(error)}
        current = current_guests(con)
        uplift = model.predict(current.X) if len(current.X) else np.zeros(0)
        net = expected_net_value(uplift, current.value_per_return, settings.nba_offer_cost)
        table = pa.table(
            {
                "guest_id": pa.array(current.guest_id.tolist(), pa.string()),
                "uplift_learner": pa.array([model.learner_] * len(uplift), pa.string()),
                "estimated_uplift": pa.array(uplift, pa.float64()),
                "value_per_return": pa.array(current.value_per_return, pa.float64()),
                "offer_cost": pa.array(np.full(len(uplift), settings.nba_offer_cost)),
                "expected_net_value": pa.array(net, pa.float64()),
            }
        )
        con.register("guest_uplift_arrow", table)
        try:
            con.execute("insert into guest_uplift by name select * from guest_uplift_arrow")
        finally:
            con.unregister("guest_uplift_arrow")
    qini = model.scores_.get(model.learner_, float("nan"))
    return {
        "targeting": "uplift",
        "learner": model.learner_,
        "heldout_qini": None if not np.isfinite(qini) else round(float(qini), 4),
        "training_members": len(rows.treatment),
        "guests": len(uplift),
        "worth_an_offer": int((net > 0).sum()),
    }
