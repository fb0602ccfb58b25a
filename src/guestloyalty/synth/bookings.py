"""Trips into bookings, stays (folios) and special requests.

A trip's arrival snaps to the weekdays its purpose prefers (business Monday-Wednesday,
leisure and family Thursday-Saturday). Room rates follow the property's base rate, the
season and weekday pattern of its kind (``seeds/seasons.csv``), the room type and rate plan;
ancillary revenue (F&B, spa, other) depends on the guest's purpose and value. Only what is
known at the world's end date is written: future arrivals appear as ``confirmed`` bookings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.synth import params as P
from guestloyalty.synth.catalog import Catalog
from guestloyalty.synth.guests import People, _choose_rows
from guestloyalty.synth.stays import Trips

SECONDS_PER_DAY = 86_400
#: Preferred arrival weekdays (Monday = 0) by purpose and how often they are honoured.
ARRIVAL_WEEKDAYS = ((0, 1, 2), (3, 4, 5), (3, 4, 5), (3, 4, 4))
WEEKDAY_SNAP = 0.6
MAX_LEAD_DAYS = 540

REQUESTS: dict[str, tuple[str, ...]] = {
    "business": ("early_check_in", "late_check_out", "quiet_room", "airport_transfer"),
    "leisure": ("high_floor", "late_check_out", "anniversary", "quiet_room", "extra_pillows"),
    "family": ("crib", "connecting_rooms", "extra_bed", "early_check_in"),
    "group": ("adjoining_rooms", "late_check_out", "group_dinner"),
}
REQUEST_TEXT: dict[str, str] = {
    "early_check_in": "Arriving early, room before noon if possible",
    "late_check_out": "Late check-out please",
    "quiet_room": "Quiet room away from the lift",
    "airport_transfer": "Airport pick-up needed",
    "high_floor": "High floor with a view",
    "anniversary": "Celebrating our anniversary",
    "extra_pillows": "Extra pillows",
    "crib": "Baby crib in the room",
    "connecting_rooms": "Connecting rooms for the family",
    "extra_bed": "Extra bed for a child",
    "adjoining_rooms": "Rooms next to the rest of the group",
    "group_dinner": "Dinner reservation for the group",
}
FAILURES = (
    "room not ready at check-in",
    "air conditioning broken",
    "noise at night",
    "room not cleaned",
    "billing error",
    "slow room service",
    "wifi down",
)


@dataclass
class Folios:
    """Trips with the day-level facts every downstream table needs (all numpy)."""

    order: np.ndarray  # trips sorted by (person, time): indices into Trips
    arrival: np.ndarray  # int days
    departure: np.ndarray
    booked_at: np.ndarray  # float days
    cancelled_at: np.ndarray  # float days (nan when not cancelled)
    room_type: np.ndarray  # int
    rate_plan: np.ndarray  # int
    nightly_rate: np.ndarray
    room_revenue: np.ndarray
    fnb_revenue: np.ndarray
    spa_revenue: np.ndarray
    other_revenue: np.ndarray
    adults: np.ndarray
    children: np.ndarray
    changes: np.ndarray


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 for integer days since 1970-01-01 (a Thursday)."""
    return (days + 3) % 7


def month_of(days: np.ndarray) -> np.ndarray:
    """Month 0..11 of integer days since 1970-01-01."""
    as_date = days.astype("datetime64[D]")
    return (as_date.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


def build_folios(rng: np.random.Generator, cat: Catalog, people: People, trips: Trips) -> Folios:
    """Dates, rates, revenue and party of every trip (sorted by person, then time)."""
    order = np.lexsort((trips.time, trips.person))
    who = trips.person[order]
    purpose = people.purpose[who]
    kind = trips.kind[order]
    channel = trips.channel[order]
    m = order.size

    day = np.floor(trips.time[order]).astype(np.int64)
    preferred = np.array([[d in w for d in range(7)] for w in ARRIVAL_WEEKDAYS])
    shift = np.zeros(m, dtype=np.int64)
    wd = weekday(day)
    for _ in range(3):
        bad = ~preferred[purpose, (wd + shift) % 7]
        shift += bad
    arrival = day + np.where(rng.random(m) < WEEKDAY_SNAP, shift, 0)
    nights = trips.nights[order]
    # A guest is in one room at a time: push a trip that would start before the previous one
    # ends (weekday snapping, or the loose timing of a disengaging guest) to that departure.
    same_person = np.r_[False, who[1:] == who[:-1]]
    for _ in range(4):
        previous_departure = np.r_[0, (arrival + nights)[:-1]]
        arrival = np.where(same_person, np.maximum(arrival, previous_departure), arrival)
    departure = arrival + nights

    lead_median = np.array([P.LEAD_MEDIAN[c] for c in cat.channels])[channel]
    lead = lead_median * rng.lognormal(0.0, P.LEAD_SIGMA, m)
    cancelled = trips.cancelled[order]
    lead = np.where(cancelled, lead * P.CANCELLED_LEAD_FACTOR, lead)
    lead_days = np.floor(np.minimum(lead, MAX_LEAD_DAYS))
    booked_at = arrival - lead_days + rng.uniform(0.3, 0.95, m) * np.where(lead_days > 0, 1, 0.5)
    cancelled_at = np.where(
        cancelled, booked_at + (arrival - booked_at) * rng.random(m) ** 1.5, np.nan
    )

    # Room type: value buys bigger rooms; families take family rooms.
    value = people.value[who]
    room_probs = np.column_stack(
        [
            np.full(m, 0.55),
            0.22 * value,
            0.12 * value**1.5,
            np.where(purpose == 2, 0.9, 0.01),
            0.025 * value**2.5,
        ]
    )
    room_type = _choose_rows(rng, room_probs)

    plan = np.full(m, cat.plan_code("BAR"))
    plan = np.where(rng.random(m) < 0.25, cat.plan_code("BB"), plan)
    is_direct = np.isin(cat.channels[channel], ["direct_web", "direct_app", "direct_phone"])
    plan = np.where(
        is_direct & people.is_member[who] & (rng.random(m) < 0.5), cat.plan_code("MEM"), plan
    )
    plan = np.where(trips.non_refundable[order], cat.plan_code("ADV"), plan)
    plan = np.where(cat.channels[channel] == "corporate", cat.plan_code("CORP"), plan)
    plan = np.where(cat.channels[channel] == "group", cat.plan_code("GRP"), plan)

    weekend = np.isin(weekday(arrival), (4, 5))
    nightly = (
        cat.property_rate[trips.property[order]]
        * cat.season_rate[kind, month_of(arrival)]
        * np.where(weekend, cat.weekend_rate[kind], 1.0)
        * cat.room_multiplier[room_type]
        * cat.plan_multiplier[plan]
        * rng.lognormal(0.0, 0.08, m)
    )
    nightly = np.round(nightly, 2)
    room_revenue = np.round(nightly * nights, 2)
    fnb_share = np.array([0.18, 0.22, 0.28, 0.30])[purpose] * (0.6 + 0.4 * value)
    fnb_revenue = np.round(room_revenue * fnb_share * rng.lognormal(0.0, 0.4, m), 2)
    spa_user = rng.random(m) < np.where(kind == 1, 0.35, 0.06) * np.where(purpose == 0, 0.4, 1.0)
    spa_revenue = np.where(spa_user, np.round(rng.gamma(2.0, 45.0, m) * value, 2), 0.0)
    other_revenue = np.round(rng.exponential(6.0, m) * nights * (rng.random(m) < 0.4), 2)

    adults = np.select(
        [purpose == 0, purpose == 2, purpose == 3],
        [1 + (rng.random(m) < 0.1), np.full(m, 2), 1 + rng.integers(1, 3, m)],
        1 + (rng.random(m) < 0.8),
    )
    children = np.where(purpose == 2, 1 + rng.poisson(0.7, m), 0)
    changes = rng.poisson(0.15 + lead_days / 200.0)
    return Folios(
        order=order,
        arrival=arrival,
        departure=departure,
        booked_at=booked_at,
        cancelled_at=cancelled_at,
        room_type=room_type,
        rate_plan=plan,
        nightly_rate=nightly,
        room_revenue=room_revenue,
        fnb_revenue=fnb_revenue,
        spa_revenue=spa_revenue,
        other_revenue=other_revenue,
        adults=adults,
        children=children,
        changes=changes,
    )


def to_datetime(days: np.ndarray) -> np.ndarray:
    """Float days since 1970-01-01 -> datetime64[s] (whole seconds)."""
    return (np.floor(np.asarray(days) * SECONDS_PER_DAY)).astype("datetime64[s]")


def to_date(days: np.ndarray) -> np.ndarray:
    return np.asarray(days).astype(np.int64).astype("datetime64[D]")
