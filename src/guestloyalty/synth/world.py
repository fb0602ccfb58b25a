"""A first synthetic world: guests with a latent stay rate and a silent dropout date.

Each guest has a stay rate (stays per year) and a lifetime after which they stop coming back
without telling anyone. Engagement (email opens, app sessions) fades after dropout, so churn
is predictable from history, but not trivially. Everything is vectorised numpy; the same seed
gives the same files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

PROPERTIES = np.array(["LIS-CITY", "ALG-RESORT", "OPO-CITY", "LIS-AIRPORT"])
CHANNELS = np.array(["direct_web", "direct_app", "direct_phone", "ota", "gds", "corporate"])
ROOM_TYPES = np.array(["STD", "DLX", "STE"])
PURPOSES = np.array(["business", "leisure", "family", "group"])


@dataclass(frozen=True)
class WorldSpec:
    """What to generate."""

    guests: int = 30_000
    seed: int = 42
    start: dt.date = dt.date(2022, 1, 1)
    end: dt.date = dt.date(2025, 12, 31)


def _days(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _to_date(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]")


def generate_world(spec: WorldSpec) -> dict[str, pl.DataFrame]:
    """Return one polars frame per entity, columns as in the contracts."""
    rng = np.random.default_rng(spec.seed)
    n = spec.guests
    start, end = _days(spec.start), _days(spec.end)
    span = end - start

    guest_ids = np.char.add("G", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    created = start + rng.integers(0, max(span - 60, 1), n)
    engagement = rng.beta(2, 3, n)
    rate = rng.gamma(1.3, 1.0, n) * (0.6 + engagement)  # stays per year while active
    lifetime = rng.exponential(500 + 900 * engagement)  # days until silent dropout
    dropout = created + lifetime.astype(np.int64)
    active_until = np.minimum(dropout, end)
    value = rng.lognormal(0.0, 0.35, n)
    purpose = rng.choice(PURPOSES, n, p=[0.35, 0.4, 0.17, 0.08])
    consent = rng.random(n) < 0.7

    guests = pl.DataFrame(
        {
            "guest_id": guest_ids,
            "source_system": "pms",
            "first_name": np.char.add("First", np.arange(n).astype(str)),
            "last_name": np.char.add("Last", np.arange(n).astype(str)),
            "email": np.char.add(np.char.add("guest", np.arange(n).astype(str)), "@example.com"),
            "country": rng.choice(np.array(["PT", "ES", "GB", "DE", "FR", "US"]), n),
            "created_at": _to_date(created),
            "marketing_consent": consent,
            "loyalty_member": rng.random(n) < 0.3 + 0.4 * engagement,
        }
    )

    # Stays: the first at sign-up, the rest a Poisson process over the active window.
    repeat = rng.poisson(rate * (active_until - created) / 365.0)
    counts = 1 + repeat
    owner = np.repeat(np.arange(n), counts)
    offsets = rng.random(owner.size) * (active_until - created)[owner]
    first = np.zeros(owner.size, dtype=bool)
    first[np.cumsum(counts) - counts] = True
    check_in = created[owner] + np.where(first, 0, offsets.astype(np.int64))
    keep = check_in < end
    owner, check_in = owner[keep], check_in[keep]
    m = owner.size
    nights = 1 + rng.poisson(np.where(purpose[owner] == "business", 1.0, 2.5))
    rate_per_night = 90 * value[owner] * rng.lognormal(0, 0.15, m)
    room_revenue = np.round(nights * rate_per_night, 2)
    fnb_revenue = np.round(room_revenue * rng.uniform(0.05, 0.3, m), 2)
    stay_ids = np.char.add("S", np.char.zfill(np.arange(1, m + 1).astype(str), 8))
    booking_ids = np.char.add("B", np.char.zfill(np.arange(1, m + 1).astype(str), 8))
    property_id = rng.choice(PROPERTIES, m)
    channel = rng.choice(CHANNELS, m)
    room_type = rng.choice(ROOM_TYPES, m, p=[0.7, 0.22, 0.08])
    lead = rng.integers(0, 120, m)

    stays = pl.DataFrame(
        {
            "stay_id": stay_ids,
            "booking_id": booking_ids,
            "guest_id": guest_ids[owner],
            "property_id": property_id,
            "check_in_date": _to_date(check_in),
            "check_out_date": _to_date(check_in + nights),
            "nights": nights,
            "room_type": room_type,
            "room_revenue": room_revenue,
            "fnb_revenue": fnb_revenue,
            "total_revenue": np.round(room_revenue + fnb_revenue, 2),
            "currency": "EUR",
        }
    ).sort("check_in_date", "stay_id")

    honoured = pl.DataFrame(
        {
            "booking_id": booking_ids,
            "guest_id": guest_ids[owner],
            "property_id": property_id,
            "booked_at": _to_date(check_in - lead),
            "arrival_date": _to_date(check_in),
            "departure_date": _to_date(check_in + nights),
            "room_type": room_type,
            "channel": channel,
            "status": "checked_out",
            "cancelled_at": None,
            "amount": room_revenue,
            "currency": "EUR",
            "purpose": purpose[owner],
        }
    )
    cancelled_n = int(m * 0.25)
    c_owner = owner[rng.integers(0, m, cancelled_n)]
    c_arrival = np.minimum(created[c_owner] + rng.integers(0, 700, cancelled_n), end - 1)
    c_lead = rng.integers(1, 200, cancelled_n)
    cancelled = pl.DataFrame(
        {
            "booking_id": np.char.add(
                "C", np.char.zfill(np.arange(1, cancelled_n + 1).astype(str), 8)
            ),
            "guest_id": guest_ids[c_owner],
            "property_id": rng.choice(PROPERTIES, cancelled_n),
            "booked_at": _to_date(c_arrival - c_lead),
            "arrival_date": _to_date(c_arrival),
            "departure_date": _to_date(c_arrival + 2),
            "room_type": rng.choice(ROOM_TYPES, cancelled_n),
            "channel": rng.choice(CHANNELS, cancelled_n),
            "status": "cancelled",
            "cancelled_at": _to_date(c_arrival - rng.integers(0, c_lead)),
            "amount": np.round(180 * value[c_owner], 2),
            "currency": "EUR",
            "purpose": purpose[c_owner],
        }
    )
    bookings = pl.concat([honoured, cancelled], how="vertical_relaxed").sort(
        "arrival_date", "booking_id"
    )

    # Engagement: a campaign email every 30 days after sign-up; opens fade after dropout.
    sends_per_guest = np.maximum((end - created) // 30, 0)
    e_owner = np.repeat(np.arange(n), sends_per_guest)
    e_index = np.arange(e_owner.size) - np.repeat(
        np.cumsum(sends_per_guest) - sends_per_guest, sends_per_guest
    )
    sent = created[e_owner] + 30 * (e_index + 1)
    alive = sent < dropout[e_owner]
    p_open = np.where(alive, 0.1 + 0.5 * engagement[e_owner], 0.03)
    opened = rng.random(e_owner.size) < p_open
    campaign = np.char.add("CMP", ((sent - start) // 30).astype(str))
    send_frame = pl.DataFrame(
        {
            "guest_id": guest_ids[e_owner],
            "event_type": "email_send",
            "occurred_at": _to_date(sent),
            "campaign_id": campaign,
        }
    )
    open_frame = pl.DataFrame(
        {
            "guest_id": guest_ids[e_owner[opened]],
            "event_type": "email_open",
            "occurred_at": _to_date(sent[opened] + 1),
            "campaign_id": campaign[opened],
        }
    )
    events = pl.concat([send_frame, open_frame]).sort("occurred_at", "guest_id", "event_type")
    events = events.with_columns(
        pl.format("E{}", pl.int_range(1, pl.len() + 1).cast(pl.Utf8).str.zfill(9)).alias("event_id")
    ).select("event_id", "guest_id", "event_type", "occurred_at", "campaign_id")

    return {
        "guests": guests,
        "bookings": bookings,
        "stays": stays,
        "engagement_events": events,
    }


def write_world(frames: dict[str, pl.DataFrame], landing_dir: Path) -> dict[str, Path]:
    """Write each entity to ``<landing>/<entity>/<entity>.parquet``; returns the paths."""
    written: dict[str, Path] = {}
    for entity, frame in frames.items():
        folder = landing_dir / entity
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{entity}.parquet"
        frame.write_parquet(path, statistics=False)
        written[entity] = path
    return written
