"""Apply the promoted models to the current snapshot and write ``guest_scores`` to the build."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from guestloyalty.config import Settings
from guestloyalty.scoring import churn, clv, features, registry, segments
from guestloyalty.scoring.features import FeatureFrame
from guestloyalty.warehouse import Layout, connect

SCORES_DDL = """
create or replace table guest_scores (
    guest_id varchar primary key,
    as_of_date date not null,
    churn_probability double not null,
    churn_risk varchar not null,
    clv_12m double not null,
    segment varchar not null,
    model_version varchar not null,
    scored_at timestamp not null
)
"""

HISTORY_DDL = """
create table if not exists guest_score_history (
    guest_id varchar,
    as_of_date date,
    churn_probability double,
    churn_risk varchar,
    clv_12m double,
    segment varchar,
    model_version varchar,
    scored_at timestamp
)
"""


@dataclass(frozen=True)
class Scored:
    """Scores for a set of guests, as arrays."""

    guest_id: np.ndarray
    churn_probability: np.ndarray
    churn_risk: np.ndarray
    clv_12m: np.ndarray
    segment: np.ndarray
    model_version: str


def load_boosters(bundle: registry.ModelBundle):  # noqa: ANN201
    import xgboost as xgb

    churn_booster = xgb.Booster()
    churn_booster.load_model(bytearray(bundle.path("churn.ubj").read_bytes()))
    churn_booster.best_iteration = int(bundle.manifest["churn_best_iteration"])
    clv_booster = xgb.Booster()
    clv_booster.load_model(bytearray(bundle.path("clv.ubj").read_bytes()))
    clv_booster.best_iteration = int(bundle.manifest["clv_best_iteration"])
    return churn_booster, clv_booster


def score_frame(frame: FeatureFrame, bundle: registry.ModelBundle, settings: Settings) -> Scored:
    churn_booster, clv_booster = load_boosters(bundle)
    prob = churn.predict_churn(churn_booster, frame).astype(np.float64)
    cut = settings.risk_cutoffs
    return Scored(
        guest_id=frame.guest_id,
        churn_probability=prob,
        churn_risk=churn.risk_band(prob, medium=cut.medium, high=cut.high, critical=cut.critical),
        clv_12m=clv.predict_clv(clv_booster, frame).astype(np.float64),
        segment=segments.rule_segments(frame),
        model_version=bundle.version,
    )


def score_current(layout: Layout, settings: Settings) -> int:
    """Score every guest in the current snapshot; returns the number of guests scored."""
    bundle = registry.load_promoted(layout)
    with connect(layout.gold_build_path) as con:
        frame = features.load_current(con)
        as_of = features.as_of_date(con)
        scored = score_frame(frame, bundle, settings)
        scored_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        table = pa.table(
            {
                "guest_id": pa.array(scored.guest_id.tolist(), pa.string()),
                "as_of_date": pa.array([as_of] * len(frame), pa.date32()),
                "churn_probability": scored.churn_probability,
                "churn_risk": pa.array(scored.churn_risk.tolist(), pa.string()),
                "clv_12m": scored.clv_12m,
                "segment": pa.array(scored.segment.tolist(), pa.string()),
                "model_version": pa.array([bundle.version] * len(frame), pa.string()),
                "scored_at": pa.array([scored_at] * len(frame), pa.timestamp("us")),
            }
        )
        con.execute(SCORES_DDL)
        con.register("scored_arrow", table)
        con.execute("insert into guest_scores select * from scored_arrow")
        con.unregister("scored_arrow")
    _append_history(layout, table, as_of)
    return len(frame)


def _append_history(layout: Layout, table: pa.Table, as_of: dt.date) -> None:
    """Keep every run's scores in the state file; a rerun for the same as_of replaces them."""
    layout.state_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(layout.state_path) as con:
        con.execute(HISTORY_DDL)
        con.execute("delete from guest_score_history where as_of_date = ?", [as_of])
        con.register("scored_arrow", table)
        con.execute("insert into guest_score_history select * from scored_arrow")
        con.unregister("scored_arrow")
