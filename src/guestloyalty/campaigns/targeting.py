"""Uplift from the warehouse: learn from past campaigns, score the guests of today.

Training rows are the members of campaigns whose window closed by as_of
(``campaign_member_outcomes``) with the features of the guest at the campaign's start: the
row of ``guest_feature_snapshots`` at the latest snapshot on or before the start, at most
``MAX_FEATURE_AGE_DAYS`` older (features strictly before the snapshot, so nothing of the
campaign leaks in). The outcome is a return in the window; the model is
:class:`guestloyalty.uplift.UpliftModel`, its learner chosen by Qini with each campaign held
out in turn. Today's guests are scored on the current snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from guestloyalty.errors import GuestLoyaltyError
from guestloyalty.models.features import FEATURES
from guestloyalty.models.uplift import UpliftModel
from guestloyalty.serving.nba import MARKETING_CHANNELS

if TYPE_CHECKING:
    import duckdb

#: A snapshot older than this before a campaign's start does not describe its members.
MAX_FEATURE_AGE_DAYS = 45
#: Fewer members than this (or one group empty) and no uplift model is fitted.
MIN_MEMBERS = 200


class NoCampaignHistoryError(GuestLoyaltyError):
    """No past campaign with a holdout to learn what an offer changes."""


@dataclass(frozen=True)
class Training:
    """Campaign members with their features at the campaign's start."""

    X: np.ndarray
    treatment: np.ndarray
    returned: np.ndarray
    campaign: np.ndarray
    guest_id: np.ndarray


def _features_sql(alias: str) -> str:
    return ", ".join(f"cast({alias}.{name} as double) as {name}" for name in FEATURES)


def training_rows(con: duckdb.DuckDBPyConnection) -> Training:
    """Members of closed campaign windows joined to their point-in-time features."""
    tables = {
        row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
    }
    if "campaign_member_outcomes" not in tables:
        raise NoCampaignHistoryError(
            "gold has no campaign_member_outcomes: run the pipeline with this version first"
        )
    sql = f"""
        with
        members as (
            select * from campaign_member_outcomes where is_window_complete
        ),
        snapshots as (select distinct snapshot_date from guest_feature_snapshots),
        matched as (
            select
                members.campaign_id,
                members.guest_id,
                members.is_treatment,
                members.has_returned,
                max(snapshots.snapshot_date) as snapshot_date
            from members
            inner join snapshots
                on snapshots.snapshot_date <= members.campaign_start_date
                and snapshots.snapshot_date
                    >= members.campaign_start_date - {int(MAX_FEATURE_AGE_DAYS)}
            group by all
        )
        select
            matched.campaign_id,
            matched.guest_id,
            cast(matched.is_treatment as integer) as treatment,
            cast(matched.has_returned as integer) as returned,
            {_features_sql("features")}
        from matched
        inner join guest_feature_snapshots as features
            on matched.guest_id = features.guest_id
            and matched.snapshot_date = features.snapshot_date
        order by matched.campaign_id, matched.guest_id
    """
    table = con.sql(sql).to_arrow_table()
    X = (
        np.column_stack([table.column(name).to_numpy(zero_copy_only=False) for name in FEATURES])
        if table.num_rows
        else np.zeros((0, len(FEATURES)))
    )
    return Training(
        X=np.asarray(X, dtype=np.float64),
        treatment=table.column("treatment").to_numpy(zero_copy_only=False).astype(np.int64),
        returned=table.column("returned").to_numpy(zero_copy_only=False).astype(np.int64),
        campaign=table.column("campaign_id").to_numpy(zero_copy_only=False).astype(object),
        guest_id=table.column("guest_id").to_numpy(zero_copy_only=False).astype(object),
    )


def fit_uplift(
    con: duckdb.DuckDBPyConnection,
    *,
    random_state: int = 0,
    learners: tuple[str, ...] | None = None,
) -> tuple[UpliftModel, Training]:
    """The uplift model of this warehouse's past campaigns (raises when there are none)."""
    rows = training_rows(con)
    n_t, n_c = int(rows.treatment.sum()), int((1 - rows.treatment).sum())
    if len(rows.treatment) < MIN_MEMBERS or n_t == 0 or n_c == 0:
        raise NoCampaignHistoryError(
            f"too little campaign history to learn uplift: {n_t} treatment and {n_c} control "
            f"members of closed windows with features at the campaign's start (need "
            f"{MIN_MEMBERS} and both groups); export campaigns with --holdout and measure them"
        )
    options = {} if learners is None else {"learners": learners}
    model = UpliftModel(random_state=random_state, **options).fit(
        rows.X, rows.treatment, rows.returned, groups=rows.campaign
    )
    return model, rows


def bootstrap_uplift(
    model: UpliftModel, rows: Training, X: np.ndarray, *, draws: int = 10, seed: int = 0
) -> np.ndarray:
    """Uplift of ``X`` by ``draws`` refits of the chosen learner on members resampled
    with replacement (the model's uncertainty for the what-if intervals)."""
    rng = np.random.default_rng(seed)
    out = np.empty((draws, len(X)))
    for b in range(draws):
        pick = rng.integers(0, len(rows.treatment), len(rows.treatment))
        refit = UpliftModel(learners=(model.learner_,), random_state=seed + b).fit(
            rows.X[pick], rows.treatment[pick], rows.returned[pick]
        )
        out[b] = refit.predict(X)
    return out


def contactable_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Guests we may contact on a marketing channel today (next_best_action chooses one
    only with the guest's consent)."""
    channels = ", ".join(f"'{channel}'" for channel in MARKETING_CHANNELS)
    sql = f"select guest_id from next_best_action where may_contact and channel in ({channels})"
    return {row[0] for row in con.execute(sql).fetchall()}


@dataclass(frozen=True)
class Current:
    """Today's scored guests: features, churn risk, value and the value of a return."""

    guest_id: np.ndarray
    X: np.ndarray
    churn: np.ndarray
    clv: np.ndarray
    value_per_return: np.ndarray


def current_guests(con: duckdb.DuckDBPyConnection) -> Current:
    """Every guest of the current snapshot with their scores (guest_scores)."""
    sql = f"""
        select
            features.guest_id,
            {_features_sql("features")},
            cast(scores.churn_probability as double) as churn_probability,
            cast(scores.clv_horizon as double) as clv_horizon,
            cast(coalesce(features.avg_stay_revenue, 0) as double) as value_per_return
        from guest_feature_snapshots as features
        inner join guest_scores as scores on features.guest_id = scores.guest_id
        where not features.is_labeled
        order by features.guest_id
    """
    table = con.sql(sql).to_arrow_table()
    X = (
        np.column_stack([table.column(name).to_numpy(zero_copy_only=False) for name in FEATURES])
        if table.num_rows
        else np.zeros((0, len(FEATURES)))
    )

    def column(name: str) -> np.ndarray:
        return np.nan_to_num(table.column(name).to_numpy(zero_copy_only=False).astype(np.float64))

    value = column("value_per_return")
    fallback = float(value[value > 0].mean()) if (value > 0).any() else 0.0
    return Current(
        guest_id=table.column("guest_id").to_numpy(zero_copy_only=False).astype(object),
        X=np.asarray(X, dtype=np.float64),
        churn=column("churn_probability"),
        clv=column("clv_horizon"),
        value_per_return=np.where(value > 0, value, fallback),
    )
