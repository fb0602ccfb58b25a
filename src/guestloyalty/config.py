"""Typed, inert settings. The CLI builds a ``Settings``; library code receives it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guestloyalty import defaults

DEFAULT_HORIZON_DAYS = 365


class ChurnRiskCutoffs(BaseModel):
    """Churn probability at or above which a guest is MEDIUM, HIGH, CRITICAL risk."""

    model_config = ConfigDict(frozen=True)

    medium: float = defaults.RISK_MEDIUM
    high: float = defaults.RISK_HIGH
    critical: float = defaults.RISK_CRITICAL

    @field_validator("critical")
    @classmethod
    def _ordered(cls, critical: float, info) -> float:  # noqa: ANN001
        medium, high = info.data.get("medium", 0.0), info.data.get("high", 0.0)
        if not (0.0 < medium < high < critical <= 1.0):
            raise ValueError("cut-offs must satisfy 0 < medium < high < critical <= 1")
        return critical


class LifecycleSettings(BaseModel):
    """Cut-offs of the lifecycle stages and the size of the at-risk list (see README).

    Ratios are days without a stay over the guest's expected gap between stays (their own
    rhythm, shrunk towards the typical gap); P(alive) is BG/NBD's, for repeat guests.
    """

    model_config = ConfigDict(frozen=True)

    slip_ratio: float = Field(default=1.5, gt=0.0, description="Overdue ratio of slipping.")
    lapse_ratio: float = Field(default=2.0, gt=0.0, description="Overdue ratio of lapsed.")
    lost_ratio: float = Field(default=4.0, gt=0.0, description="Overdue ratio of lost.")
    new_lapse_ratio: float = Field(
        default=1.5,
        gt=0.0,
        description="Overdue ratio (against the typical gap) at which a one-stay guest lapses.",
    )
    lapsed_p_alive: float = Field(default=0.3, ge=0.0, le=1.0)
    lost_p_alive: float = Field(default=0.1, ge=0.0, le=1.0)
    p_alive_drop: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description="A fall of P(alive) since the last run larger than this (noise) is slipping.",
    )
    rhythm_prior_stays: float = Field(
        default=1.0, ge=0.0, description="Pseudo-gaps of the typical gap in a guest's rhythm."
    )
    bad_experience_min_days: int = Field(
        default=30,
        ge=0,
        description="A guest whose latest stay had a service failure (no booking since, latest "
        "review not NPS 7+) is slipping from this many days after it (slipping_reason "
        "bad_experience): right after checkout, silence says nothing yet.",
    )
    bad_experience_days: int = Field(
        default=90,
        ge=0,
        description="... until this many days after the stay,",
    )
    bad_experience_engaged_days: int = Field(
        default=180,
        ge=0,
        description="... or until this many days while the guest still opened, clicked or "
        "used the app or site in the last engaged_within_days.",
    )
    engaged_within_days: int = Field(
        default=30,
        ge=1,
        description="An open, click, session or social action this recent counts as engaged.",
    )
    quiet_days: int = Field(
        default=365,
        ge=1,
        description="A lapsed guest with no open, click, session or social action for this "
        "many days is lost (guests with no engagement on record: by their stays alone).",
    )
    at_risk_max_share: float = Field(
        default=0.02,
        gt=0.0,
        le=1.0,
        description="at_risk_guests holds at most this share of the customer base (new, "
        "active, slipping, reactivated guests), the strongest slipping_reason first, then "
        "most value at risk.",
    )
    at_risk_lapsed_within_days: int = Field(
        default=90,
        ge=0,
        description="Lapsed guests join the at-risk list when they lapsed this recently and "
        "are in the top CLV tiers (PLATINUM, GOLD).",
    )

    @field_validator("lost_ratio")
    @classmethod
    def _ordered(cls, lost: float, info) -> float:  # noqa: ANN001
        slip, lapse = info.data.get("slip_ratio", 0.0), info.data.get("lapse_ratio", 0.0)
        if not (slip <= lapse < lost):
            raise ValueError("ratios must satisfy slip_ratio <= lapse_ratio < lost_ratio")
        return lost


class Settings(BaseModel):
    """Everything a run needs to know; nothing here touches the disk."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path = Path("data")
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="Where bronze, silver and gold live and dbt runs: DuckDB files, or Spark "
        "tables under <data>/spark (the spark extra; guestloyalty.warehouse.spark).",
    )
    spark_master: str = Field(
        default="local[*]",
        description="Spark master of --engine spark: local[*] (every core of this machine), "
        "local[N], or a cluster URL (spark://host:7077, yarn).",
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict,
        description="Extra Spark settings of --engine spark (spark.sql.shuffle.partitions ...).",
    )
    as_of: dt.date | None = Field(
        default=None, description="Cut-off date; default: the latest event date in the data."
    )
    horizon_days: int = Field(default=DEFAULT_HORIZON_DAYS, ge=1, le=3650)
    snapshot_interval_months: int = Field(default=1, ge=1, le=12)
    max_training_snapshots: int = Field(
        default=12, ge=1, description="Labeled snapshots used for training (most recent first)."
    )
    max_training_rows: int = Field(
        default=400_000, ge=1000, description="Training rows are sampled down to this."
    )
    max_labeled_rows: int = Field(
        default=400_000,
        ge=1000,
        description="Labeled rows kept in guest_feature_snapshots: above it, labeled snapshots "
        "keep a deterministic hash sample of guests (every guest keeps its current row).",
    )
    seed: int = 42
    hash_key: str | None = Field(
        default=None,
        repr=False,
        description="Key of the keyed PII hashes (sha256(key || value)); default: "
        "$GUESTLOYALTY_HASH_KEY, else a random key kept in <data>/state/hash.key.",
    )
    trust_landing_mappings: bool = Field(
        default=False,
        description="Honour every mapping.yaml found in landing (its expressions still pass "
        "the allow-list). Default: only those trusted by SHA-256 (guestloyalty trust-mapping).",
    )
    risk_cutoffs: ChurnRiskCutoffs = ChurnRiskCutoffs()
    lifecycle: LifecycleSettings = LifecycleSettings()
    retention_spend_share: float = Field(default=0.1, ge=0.0, le=1.0)
    min_churn_auc: float = Field(default=0.6, ge=0.0, le=1.0)
    max_auc_drop: float = Field(
        default=0.02,
        ge=0.0,
        le=1.0,
        description="A new churn model this much below the promoted one is not promoted.",
    )
    segment_k_range: tuple[int, int] = Field(
        default=(4, 8), description="Range of k tried for k-means; the best silhouette wins."
    )
    model_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Threads for xgboost (training and batch scoring) and k-means. 1 is "
        "fastest on a shared or small machine (OpenMP threads spin when cores are busy); raise "
        "it on a dedicated one.",
    )
    exact_reasons_max_guests: int = Field(
        default=10_000,
        ge=0,
        description="Guests per run whose reasons come from exact TreeSHAP (xgboost "
        "pred_contribs, ~0.3 ms CPU per guest): all of them when a run scores no more, else "
        "the at-risk guests with the most value at risk first. The others get path "
        "attributions (approx_contribs, ~25x cheaper). guest_score_explanations.method says "
        "which, per guest.",
    )
    reporting_currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Currency gold reports money in; other currencies are converted through "
        "seeds/exchange_rates.csv. Default: the currency most stays and bookings are in.",
    )
    gate_max_as_of_jump_days: int = Field(
        default=45,
        ge=0,
        description="The plausibility gate stops a run whose as_of is further than this "
        "ahead of the published gold's (guestloyalty pipeline --accept-changes publishes it).",
    )
    gate_quarantine_factor: float = Field(
        default=3.0,
        ge=1.0,
        description="... or in which an entity's quarantined share of rows multiplies by "
        "more than this (and grows by at least gate_quarantine_min_points) ...",
    )
    gate_quarantine_min_points: float = Field(default=1.0, ge=0.0, le=100.0)
    gate_max_change_share: float = Field(
        default=0.5,
        gt=0.0,
        description="... or whose guests with scores or total revenue move by more than "
        "this share either way.",
    )
    nba_targeting: Literal["risk", "uplift"] = Field(
        default="risk",
        description="Whom next_best_action ranks first for a marketing contact (its "
        "target_rank): risk = highest churn probability; uplift = highest expected "
        "incremental value minus cost (uplift learned from past campaigns with holdouts x "
        "the value of a return - nba_offer_cost). next_best_action.targeting says which each "
        "row used (risk when there is too little campaign history).",
    )
    nba_offer_cost: float = Field(
        default=0.0, ge=0.0, description="Cost of one offer sent, for nba_targeting uplift."
    )
    segment_sample_rows: int = Field(
        default=5_000, ge=100, description="Rows sampled to compute silhouette scores."
    )

    @field_validator("nba_targeting")
    @classmethod
    def _uplift_on_duckdb(cls, targeting: str, info) -> str:  # noqa: ANN001
        if targeting == "uplift" and info.data.get("engine") == "spark":
            raise ValueError("nba_targeting uplift runs on the duckdb engine only (for now)")
        return targeting
