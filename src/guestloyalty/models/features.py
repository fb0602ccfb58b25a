"""Read point-in-time feature snapshots from gold into numpy, the shape every model takes.

Training reads guest samples drawn in SQL (:func:`guest_sample_sql`), so that what crosses
into Python is bounded by the sample, not by the size of the guest base.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import duckdb

#: Model inputs, in the order models see them. Every column exists in guest_feature_snapshots
#: (documented in dbt_project/models/marts/_marts__models.yml); a test keeps the two in step.
#: Features of an entity a hotel does not export are 0 (counts) or null (ratios, recency).
FEATURES: tuple[str, ...] = (
    "stays_count",
    "lifetime_revenue",
    "avg_stay_revenue",
    "avg_nights",
    "weekend_night_share",
    "ancillary_share",
    "avg_daily_rate",
    "relative_daily_rate",
    "upgrade_share",
    "service_failures_count",
    "days_since_last_stay",
    "days_since_first_stay",
    "mean_days_between_stays",
    "last_gap_days",
    "gap_trend",
    "stays_last_365d",
    "revenue_last_365d",
    "properties_visited",
    "bookings_count",
    "cancellations_count",
    "no_shows_count",
    "cancellation_rate",
    "avg_lead_days",
    "direct_booking_share",
    "business_trip_share",
    "leisure_trip_share",
    "family_trip_share",
    "upcoming_bookings",
    "email_sends_180d",
    "email_opens_180d",
    "email_open_rate_180d",
    "email_opens_90d",
    "email_opens_prior_90d",
    "email_open_trend",
    "email_clicks_180d",
    "sessions_90d",
    "app_sessions_90d",
    "social_actions_365d",
    "is_unsubscribed",
    "days_since_last_engagement",
    "is_loyalty_member",
    "loyalty_tier_rank",
    "points_balance",
    "points_earned_365d",
    "points_redeemed_365d",
    "reviews_count",
    "avg_rating",
    "avg_nps",
    "last_nps",
    "avg_review_sentiment",
    "unresolved_negative_topics",
    "complaints_count",
    "special_requests_count",
    "age_years",
)


#: Snapshot columns the lifecycle stages read beside FEATURES; no model sees them
#: (:func:`load_current_columns`).
LIFECYCLE_INPUTS: tuple[str, ...] = ("days_since_last_service_failure",)


@dataclass(frozen=True)
class FeatureFrame:
    """Feature matrix with its row keys and (on labeled snapshots) labels."""

    guest_id: np.ndarray
    snapshot_date: np.ndarray
    X: np.ndarray
    feature_names: tuple[str, ...]
    churned: np.ndarray | None = None
    future_revenue: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.guest_id)

    def subset(self, mask: np.ndarray) -> FeatureFrame:
        return FeatureFrame(
            guest_id=self.guest_id[mask],
            snapshot_date=self.snapshot_date[mask],
            X=self.X[mask],
            feature_names=self.feature_names,
            churned=None if self.churned is None else self.churned[mask],
            future_revenue=None if self.future_revenue is None else self.future_revenue[mask],
        )

    def with_columns(self, names: tuple[str, ...], values: np.ndarray) -> FeatureFrame:
        """A copy with extra feature columns appended (e.g. the buy-till-you-die outputs)."""
        values = np.asarray(values, dtype=np.float32).reshape(len(self), len(names))
        return FeatureFrame(
            guest_id=self.guest_id,
            snapshot_date=self.snapshot_date,
            X=np.hstack([self.X, values]),
            feature_names=(*self.feature_names, *names),
            churned=self.churned,
            future_revenue=self.future_revenue,
        )

    def column(self, name: str) -> np.ndarray:
        return self.X[:, self.feature_names.index(name)]

    def select(self, names: tuple[str, ...] | list[str]) -> FeatureFrame:
        """Only the named feature columns, in that order (a model's own feature list)."""
        if tuple(names) == self.feature_names:
            return self  # frames are never modified in place: no copy needed
        index = [self.feature_names.index(name) for name in names]
        return FeatureFrame(
            guest_id=self.guest_id,
            snapshot_date=self.snapshot_date,
            X=self.X[:, index],
            feature_names=tuple(names),
            churned=self.churned,
            future_revenue=self.future_revenue,
        )


def guest_sample_sql(seed: int, column: str = "guest_id") -> str:
    """SQL for a guest's sample key: uniform in [0, 1), fixed for a guest id and seed.

    A guest is in a sample of fraction ``f`` when its key is below ``f``, so samples of one
    seed are nested (a smaller one is part of a larger one) and the same guests are drawn from
    every table keyed on ``guest_id`` (snapshots in gold, stays in silver).
    """
    return f"(hash({column}, {int(seed)}::bigint)::double / 18446744073709551616.0)"


def row_sample_sql(seed: int) -> str:
    """SQL for a snapshot row's sample key: like :func:`guest_sample_sql`, per guest and date.

    Training rows are drawn with it, so that a sample of many snapshots holds many guests
    once each rather than a few guests in every snapshot (measured: 0.003 AUC better).
    """
    return f"(hash(guest_id, snapshot_date, {int(seed)}::bigint)::double / 18446744073709551616.0)"


def _select_sql(where: str, *, labels: bool) -> str:
    columns = ", ".join(f"cast({name} as double) as {name}" for name in FEATURES)
    label_sql = ", cast(churned as double) as churned, future_revenue" if labels else ""
    return (
        f"select guest_id, snapshot_date, {columns}{label_sql} "
        f"from guest_feature_snapshots where {where} order by snapshot_date, guest_id"
    )


def _frame_from_arrow(table, *, labels: bool) -> FeatureFrame:  # noqa: ANN001
    X = np.empty((table.num_rows, len(FEATURES)), dtype=np.float32)
    for j, name in enumerate(FEATURES):
        X[:, j] = table.column(name).to_numpy(zero_copy_only=False)
    return FeatureFrame(
        guest_id=table.column("guest_id").to_numpy(zero_copy_only=False).astype(object),
        snapshot_date=table.column("snapshot_date").to_numpy(zero_copy_only=False),
        X=X,
        feature_names=FEATURES,
        churned=table.column("churned").to_numpy(zero_copy_only=False).astype(np.float32)
        if labels
        else None,
        future_revenue=table.column("future_revenue")
        .to_numpy(zero_copy_only=False)
        .astype(np.float32)
        if labels
        else None,
    )


def labeled_counts(con: duckdb.DuckDBPyConnection) -> dict[dt.date, int]:
    """Labeled rows per snapshot date, oldest first (what a sample is planned from)."""
    rows = con.sql(
        "select snapshot_date, count(*) from guest_feature_snapshots where is_labeled "
        "group by snapshot_date order by snapshot_date"
    ).fetchall()
    return {date: int(count) for date, count in rows}


def current_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(
        con.sql("select count(*) from guest_feature_snapshots where not is_labeled").fetchall()[0][
            0
        ]
    )


def load_labeled(
    con: duckdb.DuckDBPyConnection,
    *,
    fractions: dict[dt.date, float] | None = None,
    seed: int = 0,
) -> FeatureFrame:
    """Labeled snapshot rows: all of them, or per snapshot date a guest sample.

    With ``fractions`` only the dates named are read, each for the rows whose sample key
    (:func:`row_sample_sql`) is below its fraction; the sample is drawn in SQL, so only the
    rows kept cross into Python.
    """
    if fractions is None:
        where = "is_labeled"
    else:
        if not fractions:
            where = "false"
        else:
            key = row_sample_sql(seed)
            cases = " ".join(
                f"when date '{date.isoformat()}' then {float(fraction)!r}"
                for date, fraction in sorted(fractions.items())
            )
            where = f"is_labeled and {key} < (case snapshot_date {cases} else 0.0 end)"
    table = con.sql(_select_sql(where, labels=True)).to_arrow_table()
    return _frame_from_arrow(table, labels=True)


def load_current(
    con: duckdb.DuckDBPyConnection,
    *,
    guest_id: str | None = None,
    fraction: float | None = None,
    seed: int = 0,
) -> FeatureFrame:
    """The snapshot at as_of (unlabeled): every guest, one guest, or a guest sample."""
    where = "not is_labeled"
    params: list[object] = []
    if guest_id is not None:
        where += " and guest_id = ?"
        params.append(guest_id)
    if fraction is not None and fraction < 1.0:
        where += f" and {row_sample_sql(seed)} < {float(fraction)!r}"
    table = con.sql(_select_sql(where, labels=False), params=params).to_arrow_table()
    return _frame_from_arrow(table, labels=False)


def load_current_columns(
    con: duckdb.DuckDBPyConnection, names: tuple[str, ...] = LIFECYCLE_INPUTS
) -> np.ndarray:
    """Columns of the current snapshot beside FEATURES, rows in :func:`load_current`'s order."""
    columns = ", ".join(f"cast({name} as double) as {name}" for name in names)
    table = con.sql(
        f"select {columns} from guest_feature_snapshots where not is_labeled "
        "order by snapshot_date, guest_id"
    ).to_arrow_table()
    out = np.empty((table.num_rows, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        out[:, j] = table.column(name).to_numpy(zero_copy_only=False)
    return out


def as_of_date(con: duckdb.DuckDBPyConnection) -> dt.date:
    return con.execute("select as_of_date from run_context").fetchone()[0]
