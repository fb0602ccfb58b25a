"""Loyalty programme: earn, redeem, expire, goodwill adjustments and tier changes.

Members earn ``points_per_eur`` of their tier (``seeds/loyalty_tiers.csv``) on room revenue at
check-out. Tiers follow qualifying nights per calendar year (status earned in a year holds
through the next), as tracked by the stay process. Members redeem whole blocks of 5,000
points now and then, get 1,500 goodwill points when a complaint is resolved, and lose their
balance after two years without activity.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from guestloyalty.synth.catalog import Catalog

BLOCK = 5_000
GOODWILL_POINTS = 1_500
EXPIRY_DAYS = 730
REWARDS = ("free_night", "room_upgrade", "spa_credit", "dining_credit")


def build_loyalty(
    rng: np.random.Generator,
    cat: Catalog,
    stays: pl.DataFrame,
    *,
    end_day: int,
) -> pl.DataFrame:
    """Transactions from members' stays.

    ``stays`` columns: person, guest_id, stay_id, checkout (float days), room_revenue,
    tier (rank - 1), resolved (bool); members only, sorted by person then checkout.
    """
    if stays.height == 0:
        return _empty()
    n = stays.height
    points_rate = pl.Series(cat.tier_points_per_eur).gather(stays["tier"].clip(0))
    tiers = pl.Series(cat.tiers)
    frame = stays.with_columns(
        earned=(pl.col("room_revenue") * points_rate).round(0).cast(pl.Int64),
        goodwill=pl.when(pl.col("resolved")).then(GOODWILL_POINTS).otherwise(0),
        wants=pl.Series(rng.random(n) < 0.3),
        reward=pl.Series(REWARDS).gather(rng.integers(0, len(REWARDS), n)),
        tier_name=tiers.gather(stays["tier"].clip(0)),
    )
    frame = frame.with_columns(
        earned_before=(pl.col("earned") + pl.col("goodwill")).cum_sum().over("person")
        - pl.col("earned")
        - pl.col("goodwill"),
        prev_tier=pl.col("tier_name").shift(1).over("person"),
    )
    # Redeem every full block at a stay where the member wants to; blocks already used are
    # those counted at the previous redemption.
    frame = (
        frame.with_columns(
            blocks=(pl.col("earned_before") // BLOCK),
        )
        .with_columns(
            used=pl.when(pl.col("wants") & (pl.col("blocks") > 0))
            .then(pl.col("blocks"))
            .otherwise(None)
            .forward_fill()
            .shift(1)
            .over("person")
            .fill_null(0)
        )
        .with_columns(
            redeemed=pl.when(pl.col("wants"))
            .then((pl.col("blocks") - pl.col("used")) * BLOCK)
            .otherwise(0)
            .clip(0)
        )
    )
    at = pl.col("checkout")
    earn = frame.select(
        "person",
        "guest_id",
        "stay_id",
        time=at + 0.01,
        kind=pl.lit("earn"),
        points=pl.col("earned"),
        tier=pl.col("tier_name"),
        reward=pl.lit(None, pl.Utf8),
    )
    adjust = frame.filter(pl.col("goodwill") > 0).select(
        "person",
        "guest_id",
        "stay_id",
        time=at + 1.2,
        kind=pl.lit("adjust"),
        points=pl.col("goodwill").cast(pl.Int64),
        tier=pl.col("tier_name"),
        reward=pl.lit("goodwill"),
    )
    redeem = frame.filter(pl.col("redeemed") > 0).select(
        "person",
        "guest_id",
        "stay_id",
        time=at - 0.05,
        kind=pl.lit("redeem"),
        points=-pl.col("redeemed"),
        tier=pl.col("tier_name"),
        reward=pl.col("reward"),
    )
    tier_change = _tier_changes(cat, frame, end_day=end_day)
    balance = frame.group_by("person", maintain_order=True).agg(
        pl.col("guest_id").last(),
        pl.col("tier_name").last().alias("tier"),
        last=pl.col("checkout").max(),
        left=(pl.col("earned") + pl.col("goodwill") - pl.col("redeemed")).sum(),
    )
    expire = balance.filter(
        (pl.col("left") > 0) & (pl.col("last") + EXPIRY_DAYS < end_day + 1)
    ).select(
        "person",
        "guest_id",
        stay_id=pl.lit(None, pl.Utf8),
        time=pl.col("last") + EXPIRY_DAYS,
        kind=pl.lit("expire"),
        points=-pl.col("left"),
        tier="tier",
        reward=pl.lit(None, pl.Utf8),
    )
    out = pl.concat([tier_change, earn, adjust, redeem, expire], how="vertical_relaxed")
    return out.filter(pl.col("time") < end_day + 1).sort(
        "person", "time", "kind", "stay_id", maintain_order=True
    )


def _tier_changes(cat: Catalog, frame: pl.DataFrame, *, end_day: int) -> pl.DataFrame:
    """A tier_change whenever the tier in effect moves: at a stay (enrolment, upgrades, and
    re-qualification) or on 1 January, when status falls back to what last year's nights
    earned (so members who stopped coming are downgraded)."""
    tiers = pl.Series(cat.tiers)
    thresholds = [int(t) for t in cat.tier_nights]
    end_year = int(np.datetime64(end_day, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
    yearly = frame.group_by("person", "year").agg(pl.col("qualifying_nights").sum())
    first = frame.group_by("person").agg(
        pl.col("guest_id").first(),
        first_year=pl.col("year").min(),
        first_checkout=pl.col("checkout").min(),
    )
    grid = (
        first.with_columns(year=pl.int_ranges(pl.col("first_year") + 1, end_year + 1))
        .explode("year")
        .drop_nulls("year")
        .join(yearly.with_columns(year=pl.col("year") + 1), on=["person", "year"], how="left")
        .with_columns(pl.col("qualifying_nights").fill_null(0))
    )
    rank = (
        pl.sum_horizontal([(pl.col("qualifying_nights") >= t).cast(pl.Int64) for t in thresholds])
        - 1
    )
    january = (
        grid.select(
            "person",
            "guest_id",
            "first_checkout",
            stay_id=pl.lit(None, pl.Utf8),
            time=(pl.date(pl.col("year"), 1, 1).cast(pl.Int64)).cast(pl.Float64) + 0.01,
            tier_rank=rank,
        )
        .filter(pl.col("time") > pl.col("first_checkout") + 0.02)
        .drop("first_checkout")
    )
    at_stays = frame.select(
        "person",
        "guest_id",
        "stay_id",
        time=pl.col("checkout") + 0.02,
        tier_rank=pl.col("tier").clip(0),
    )
    timeline = (
        pl.concat([at_stays, january], how="vertical_relaxed")
        .sort("person", "time", "stay_id", maintain_order=True)
        .with_columns(before=pl.col("tier_rank").shift(1).over("person"))
    )
    return timeline.filter(
        pl.col("before").is_null() | (pl.col("before") != pl.col("tier_rank"))
    ).select(
        "person",
        "guest_id",
        "stay_id",
        "time",
        kind=pl.lit("tier_change"),
        points=pl.lit(0, pl.Int64),
        tier=tiers.gather(
            timeline.filter(pl.col("before").is_null() | (pl.col("before") != pl.col("tier_rank")))[
                "tier_rank"
            ]
        ),
        reward=pl.lit(None, pl.Utf8),
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "person": pl.Int64,
            "guest_id": pl.Utf8,
            "stay_id": pl.Utf8,
            "time": pl.Float64,
            "kind": pl.Utf8,
            "points": pl.Int64,
            "tier": pl.Utf8,
            "reward": pl.Utf8,
        }
    )
