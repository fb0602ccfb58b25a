"""The default world lands within ranges measured on real hotel data.

Reference: Hotel Booking Demand (Antonio, Almeida & Nunes 2019, Data in Brief 22, CC BY 4.0):
cancellations city 41.7% / resort 27.8%, direct 17.5% / OTA 41.0%; no-shows about 1%; mean
stay city 2.9 / resort 4.1 nights; median lead corporate 7 / direct 16 / OTA 58 / groups 162
days; resort median rate in August 179.6 vs January 45.0.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from guestloyalty.synth.world import WorldSpec, generate_world

REALISM_GUESTS = 6_000
SEEDS = Path(__file__).parents[2] / "seeds"


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldSpec(guests=REALISM_GUESTS, seed=11, dirty_rate=0.0))


@pytest.fixture(scope="module")
def bookings(world) -> pl.DataFrame:
    props = pl.read_csv(SEEDS / "properties.csv").select("property_id", "property_kind")
    channels = pl.read_csv(SEEDS / "channels.csv").select("channel", "channel_group")
    # Only bookings whose fate is known (not still confirmed for the future).
    return (
        world.frames["bookings"]
        .filter(pl.col("status") != "confirmed")
        .join(props, on="property_id")
        .join(channels, on="channel")
    )


@pytest.fixture(scope="module")
def stays(world) -> pl.DataFrame:
    props = pl.read_csv(SEEDS / "properties.csv").select("property_id", "property_kind")
    return world.frames["stays"].join(props, on="property_id")


def _rate(frame: pl.DataFrame, status: str) -> float:
    return frame.select((pl.col("status") == status).mean()).item()


@pytest.mark.parametrize(("kind", "low", "high"), [("city", 0.30, 0.45), ("resort", 0.20, 0.32)])
def test_cancellation_rate_by_property_kind(bookings, kind, low, high):
    assert low <= _rate(bookings.filter(pl.col("property_kind") == kind), "cancelled") <= high


@pytest.mark.parametrize(("group", "low", "high"), [("direct", 0.10, 0.22), ("ota", 0.30, 0.45)])
def test_cancellation_rate_by_channel(bookings, group, low, high):
    assert low <= _rate(bookings.filter(pl.col("channel_group") == group), "cancelled") <= high


def test_no_show_rate(bookings):
    assert 0.005 <= _rate(bookings, "no_show") <= 0.03


@pytest.mark.parametrize(("kind", "low", "high"), [("city", 2.0, 3.5), ("resort", 3.5, 5.5)])
def test_mean_length_of_stay(stays, kind, low, high):
    nights = stays.filter(pl.col("property_kind") == kind)["nights"].mean()
    assert low <= nights <= high


@pytest.mark.parametrize(
    ("group", "real"), [("corporate", 7), ("direct", 16), ("ota", 58), ("group", 162)]
)
def test_median_lead_time_within_factor_two(bookings, group, real):
    lead = (
        bookings.filter(pl.col("channel_group") == group)
        .select((pl.col("arrival_date") - pl.col("booked_at").dt.date()).dt.total_days().median())
        .item()
    )
    assert real / 2 <= lead <= real * 2


def test_lead_times_in_the_same_order(bookings):
    medians = (
        bookings.group_by("channel_group")
        .agg((pl.col("arrival_date") - pl.col("booked_at").dt.date()).dt.total_days().median())
        .sort("arrival_date")["channel_group"]
        .to_list()
    )
    order = [g for g in medians if g in ("corporate", "direct", "ota", "group")]
    assert order == ["corporate", "direct", "ota", "group"]


def test_resort_peak_month_rate_is_at_least_two_and_a_half_times_january(stays):
    rates = (
        stays.filter(pl.col("property_kind") == "resort")
        .group_by(month=pl.col("check_in_date").dt.month())
        .agg((pl.col("room_revenue") / pl.col("nights")).median().alias("rate"))
    )
    january = rates.filter(pl.col("month") == 1)["rate"].item()
    assert rates["rate"].max() >= 2.5 * january


def test_share_of_guests_with_two_stays_in_their_first_two_years(world):
    stays = world.frames["stays"]
    end = stays["check_in_date"].max()
    per_guest = (
        stays.group_by("guest_id")
        .agg(
            first=pl.col("check_in_date").min(),
            early=pl.col("check_in_date").sort(),
        )
        .filter(pl.col("first") <= end - pl.duration(days=730))
        .with_columns(
            n=pl.col("early")
            .list.eval(pl.element() < pl.element().first() + pl.duration(days=730))
            .list.sum()
        )
    )
    share = (per_guest["n"] >= 2).mean()
    assert 0.15 <= share <= 0.35


def test_email_open_and_click_rates(world):
    counts = world.frames["engagement_events"]["event_type"].value_counts()
    n = dict(zip(counts["event_type"], counts["count"], strict=True))
    assert 0.15 <= n["email_open"] / n["email_send"] <= 0.35
    assert 0.01 <= n["email_click"] / n["email_send"] <= 0.05
