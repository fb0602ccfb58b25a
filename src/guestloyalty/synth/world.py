"""The synthetic hotel world: orchestration, chunking and files.

``generate_world(spec)`` returns every entity as a polars frame plus the truth frame (small
worlds, tests); ``write_world(spec, landing_dir, ...)`` writes a world of any size in chunks
of ``chunk_people`` people, each drawn from its own random stream, so memory stays flat, the
chunks can run in parallel and the same seed always gives the same files.

Per chunk: people (:mod:`guests`) and their profiles (:mod:`identity`) -> the trip process with
silent dropout (:mod:`stays`) -> bookings, stays and requests (:mod:`bookings`) -> engagement
(:mod:`engagement`), loyalty (:mod:`loyalty`), reviews and preferences (:mod:`reviews`) ->
warts (:mod:`dirty`) and the truth (:mod:`truth`).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from guestloyalty.contracts import CONTRACTS
from guestloyalty.errors import GuestLoyaltyError
from guestloyalty.synth import dirty as dirt
from guestloyalty.synth import params as P
from guestloyalty.synth.bookings import FAILURES, REQUEST_TEXT, REQUESTS, build_folios
from guestloyalty.synth.campaigns import (
    campaign_events,
    members_frame,
    plan_campaigns,
    run_campaigns,
    truth_columns,
)
from guestloyalty.synth.catalog import KINDS, Catalog, load_catalog
from guestloyalty.synth.change import Change
from guestloyalty.synth.engagement import _CODE as _EVENT_CODE
from guestloyalty.synth.engagement import EVENT_TYPES, build_events, campaign_ids
from guestloyalty.synth.guests import draw_people
from guestloyalty.synth.identity import build_profiles, draw_identities, profile_ids, route_trips
from guestloyalty.synth.loyalty import build_loyalty
from guestloyalty.synth.reviews import (
    PREFERENCES,
    SOURCES,
    build_preferences,
    rating_from_nps,
    review_probability,
    review_source,
    review_text,
)
from guestloyalty.synth.stays import Fates, _year_of, nps_from_satisfaction, simulate_trips
from guestloyalty.synth.truth import (
    CAMPAIGN_COLUMNS,
    CHANGE_COLUMNS,
    TASTE_COLUMNS,
    TRUTH_COLUMNS,
)

CHUNK_PEOPLE = 100_000
_GENERATED = re.compile(r"[a-z_]+-\d{5}\.(parquet|csv)")
#: Trips are simulated this many days past the end so future bookings exist.
FUTURE_DAYS = 400
EPOCH = dt.date(1970, 1, 1)
FileFormat = Literal["parquet", "csv"]


class WorldSpecError(GuestLoyaltyError):
    """The requested world cannot be generated as specified."""


@dataclass(frozen=True)
class WorldSpec:
    """What to generate."""

    guests: int = 30_000
    seed: int = 42
    start: dt.date = dt.date(2021, 1, 1)
    end: dt.date = dt.date(2025, 12, 31)
    dirty_rate: float = 0.002
    file_format: FileFormat = "parquet"
    #: People per chunk (one file per entity per chunk, one random stream per chunk). The
    #: world depends on it: keep the default to reproduce a world.
    chunk_people: int = CHUNK_PEOPLE
    #: A growing, changing guest base (:mod:`guestloyalty.synth.change`): yearly growth of
    #: acquisitions (1.0 = twice as many new guests each year), and a shock period (first and
    #: last day) in which a trip happens with the probability of its guest's purpose
    #: (``shock_trip_factors`` in the order of ``params.PURPOSES``).
    acquisition_growth: float = 0.0
    shock_start: dt.date | None = None
    shock_end: dt.date | None = None
    shock_trip_factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)

    @property
    def change(self) -> Change:
        return Change.of(
            acquisition_growth=self.acquisition_growth,
            shock_start=self.shock_start,
            shock_end=self.shock_end,
            shock_trip_factors=self.shock_trip_factors,
        )

    def check(self) -> None:
        if self.guests < 1:
            raise WorldSpecError(f"--guests must be at least 1 (got {self.guests})")
        if self.end <= self.start + dt.timedelta(days=30):
            raise WorldSpecError(
                f"--end {self.end} must be more than 30 days after --start {self.start}"
            )
        if not 0.0 <= self.dirty_rate <= 0.2:
            raise WorldSpecError(f"--dirty-rate must be within 0..0.2 (got {self.dirty_rate})")
        if self.chunk_people < 1:
            raise WorldSpecError(f"chunk_people must be at least 1 (got {self.chunk_people})")
        if self.file_format not in ("parquet", "csv"):
            raise WorldSpecError(f"--format must be parquet or csv (got {self.file_format!r})")
        if not 0.0 <= self.acquisition_growth <= 10.0:
            raise WorldSpecError(
                f"acquisition growth must be within 0..10 (got {self.acquisition_growth})"
            )
        if len(self.shock_trip_factors) != len(P.PURPOSES) or not all(
            0.0 <= f <= 1.0 for f in self.shock_trip_factors
        ):
            raise WorldSpecError(
                f"shock trip factors: one per purpose ({', '.join(P.PURPOSES)}), each within "
                f"0..1 (got {self.shock_trip_factors})"
            )
        if (self.shock_start is None) != (self.shock_end is None) or (
            self.shock_start is not None and self.shock_end < self.shock_start
        ):
            raise WorldSpecError(
                f"a shock needs a start on or before its end (got {self.shock_start} .. "
                f"{self.shock_end})"
            )


#: The changing world's shock, per purpose (business, leisure, family, group): business and
#: group travel collapse, leisure and family hold up better.
CHANGING_SHOCK_FACTORS: tuple[float, ...] = (0.15, 0.7, 0.7, 0.3)


def changing(spec: WorldSpec | None = None) -> WorldSpec:
    """The non-stationary variant of ``spec``: acquisitions grow 70 % a year, and for the
    twelve months from 18 months before the end, trips fall by purpose
    (``CHANGING_SHOCK_FACTORS``)."""
    spec = spec or WorldSpec()
    start = dt.date(spec.end.year - 2, 7, 1)
    return replace(
        spec,
        acquisition_growth=0.7,
        shock_start=max(spec.start, start),
        shock_end=dt.date(spec.end.year - 1, 6, 30),
        shock_trip_factors=CHANGING_SHOCK_FACTORS,
    )


@dataclass
class World:
    """Every entity as a frame, and the truth."""

    frames: dict[str, pl.DataFrame]
    truth: pl.DataFrame


@dataclass
class WriteResult:
    """What ``write_world`` wrote."""

    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[Path]] = field(default_factory=dict)
    truth_path: Path | None = None


def _day(date: dt.date) -> int:
    return (date - EPOCH).days


def _dt(days: np.ndarray) -> pl.Series:
    """Float days since 1970-01-01 -> datetime (whole seconds); nan/inf -> null."""
    days = np.asarray(days, dtype=float)
    finite = np.isfinite(days)
    ms = np.floor(np.where(finite, days, 0.0) * 86_400).astype(np.int64) * 1000
    series = pl.Series(ms.astype("datetime64[ms]"))
    if finite.all():
        return series
    return pl.select(pl.when(pl.Series(finite)).then(series)).to_series()


def _date(days: np.ndarray) -> pl.Series:
    return pl.Series(
        np.floor(np.asarray(days, dtype=float)).astype(np.int64).astype("datetime64[D]")
    )


def _ids(prefix: str, chunk: int, count: int) -> pl.Series:
    """``<prefix><chunk:03d><row:08d>``: unique across chunks, stable for a seed."""
    rows = pl.Series(np.arange(1, count + 1, dtype=np.int64)).cast(pl.Utf8).str.zfill(8)
    return f"{prefix}{chunk:03d}" + rows


def build_chunk(spec: WorldSpec, chunk: int, cat: Catalog | None = None) -> World:
    """One chunk of people, everything they did, and their truth rows."""
    cat = cat or load_catalog()
    first_person = chunk * spec.chunk_people
    n = min(spec.chunk_people, spec.guests - first_person)
    rng = np.random.default_rng([spec.seed, chunk])
    start_day, end_day = _day(spec.start), _day(spec.end)

    change = spec.change
    people = draw_people(
        rng,
        cat,
        first_person=first_person,
        n=n,
        start_day=start_day,
        end_day=end_day + 1,
        change=change,
    )
    identities = draw_identities(rng, n)
    trips, fates = simulate_trips(
        rng, cat, people, until_day=end_day + 1 + FUTURE_DAYS, change=change
    )
    # Past retention campaigns with holdouts (their own random stream). The world is built
    # from the natural trips exactly as without campaigns; what the offers changed (extra
    # stays of the persuaded, the later rows of the deterred) is applied to the finished
    # frames (_campaign_effects), so nobody else's rows move. ``fates`` becomes the truth's
    # (deterred dropouts moved), ``natural`` drives engagement as before.
    natural = Fates(disengaged_at=fates.disengaged_at.copy(), dropout_at=fates.dropout_at.copy())
    campaign_rng = np.random.default_rng([spec.seed, chunk, 2])
    campaigns = run_campaigns(
        campaign_rng, cat, people, fates, trips, plan_campaigns(spec.seed, start_day, end_day)
    )
    folios = build_folios(rng, cat, people, trips)
    o = folios.order
    person = trips.person[o]
    channel = trips.channel[o]
    on_dup = route_trips(rng, cat, identities, person, channel)
    system = np.where(on_dup, identities.duplicate_system[person], 0).astype(np.int64)
    guest_id = profile_ids(people.person[person], system)
    booked = folios.booked_at < end_day + 1
    m = o.size
    # Trip rows in (person, time) order; ids are per chunk.
    booking_id = _ids("B", chunk, m)
    stay_id = _ids("S", chunk, m)

    # ---- guests: created when they first booked; duplicates when first used (or signed up).
    created = np.full(n, np.inf)
    np.minimum.at(created, person, folios.booked_at)
    dup_created = np.full(n, np.inf)
    np.minimum.at(dup_created, person[on_dup], folios.booked_at[on_dup])
    signup = created + rng.uniform(5, 400, n)
    dup_created = np.where(np.isfinite(dup_created), dup_created, signup)
    dup_created = np.minimum(dup_created, end_day + 0.9)
    guests = build_profiles(
        rng,
        people,
        identities,
        created_at=_dt(created),
        duplicate_created_at=_dt(dup_created),
    )

    # ---- bookings and stays (stays: honoured trips that checked out by the end)
    bookings, stays, s = _trip_frames(
        cat,
        trips,
        folios,
        people,
        guest_id=guest_id,
        system=system,
        booking_id=booking_id,
        stay_id=stay_id,
        end_day=end_day,
    )
    purpose = people.purpose[person]
    stay_person = person[s]
    checkout = folios.departure[s] + 0.45
    satisfaction = trips.satisfaction[o][s]
    nps = nps_from_satisfaction(satisfaction)
    failure = trips.failure[o][s]
    complained = trips.complained[o][s]
    resolved = trips.resolved[o][s]
    issue = pl.Series(FAILURES).gather(rng.integers(0, len(FAILURES), s.size))

    # ---- special requests: per booking, and complaints logged during a stay.
    wants = booked & (rng.random(m) < np.array([0.25, 0.3, 0.5, 0.2])[purpose])
    r_idx = np.flatnonzero(wants)
    kinds = list(REQUESTS)
    choice = rng.random(r_idx.size)
    req_type = (
        [
            REQUESTS[kinds[p]][int(c * len(REQUESTS[kinds[p]]))]
            for p, c in zip(purpose[r_idx], choice, strict=True)
        ]
        if r_idx.size < 50_000
        else _vector_requests(purpose[r_idx], choice)
    )
    req_created = np.minimum(
        folios.booked_at[r_idx]
        + rng.uniform(0, 1, r_idx.size) * (folios.arrival[r_idx] - folios.booked_at[r_idx]),
        end_day + 0.9,
    )
    c_idx = np.flatnonzero(complained)
    requests = pl.concat(
        [
            pl.DataFrame(
                {
                    "booking_id": booking_id.gather(r_idx),
                    "request_type": pl.Series(req_type, dtype=pl.Utf8),
                    "guest_id": guest_id.gather(r_idx),
                    "created_at": _dt(req_created),
                }
            ).with_columns(request_text=pl.col("request_type").replace_strict(REQUEST_TEXT)),
            pl.DataFrame(
                {
                    "booking_id": booking_id.gather(s[c_idx]),
                    "request_type": "complaint",
                    "guest_id": guest_id.gather(s[c_idx]),
                    "created_at": _dt(folios.arrival[s[c_idx]] + 0.8),
                    "request_text": issue.gather(c_idx)
                    + pl.Series(np.where(resolved[c_idx], " - resolved", " - unresolved")),
                }
            ),
        ],
        how="diagonal",
    )
    requests = requests.sort(
        "created_at", "booking_id", "request_type", maintain_order=True
    ).with_columns(
        request_id=_ids("Q", chunk, requests.height),
        source_system=pl.lit("pms"),
    )

    # ---- reviews
    submit = rng.random(s.size) < review_probability(people, stay_person, failure)
    submitted = checkout + rng.exponential(3.0, s.size)
    rv = np.flatnonzero(submit & (submitted < end_day + 1))
    ota_stay = cat.channels[channel[s[rv]]] == "ota"
    reviews = pl.DataFrame(
        {
            "guest_id": guest_id.gather(s[rv]),
            "submitted_at": _dt(submitted[rv]),
            "stay_id": stay_id.gather(s[rv]),
            "nps": nps[rv].astype(np.int32),
            "rating": rating_from_nps(rng, nps[rv]).astype(np.int32),
            "source": pl.Series(SOURCES).gather(review_source(rng, ota_stay)),
            "review_text": review_text(
                rng, nps[rv], failure[rv], complained[rv], resolved[rv], issue.gather(rv)
            ),
        }
    )
    reviews = reviews.sort("submitted_at", "stay_id", maintain_order=True).with_columns(
        review_id=_ids("R", chunk, reviews.height), source_system=pl.lit("crm")
    )

    # ---- engagement (on the primary profile; the CRM sends to it)
    b_idx = np.flatnonzero(booked)
    events = build_events(
        rng,
        people,
        natural,
        created=np.minimum(created, end_day + 0.9),
        end_day=end_day,
        stay_person=stay_person,
        stay_checkout=checkout,
        stay_arrival=folios.arrival[s].astype(float),
        stay_nps=nps,
        stay_complained=complained,
        booking_person=person[b_idx],
        booking_time=folios.booked_at[b_idx],
        booking_channel=channel[b_idx],
        web_channel=cat.channel_code("direct_web"),
        app_channel=cat.channel_code("direct_app"),
    )
    sent = campaign_events(campaign_rng, people, campaigns)
    sent_code = np.array(
        [int(p.campaign_id[4:]) * 10 + 5 for p in campaigns.plans] or [-1], dtype=np.int64
    )[sent["campaign"]]
    keep = (sent["time"] < end_day + 1) & (sent["time"] >= created[sent["person"]])
    email = np.array([_EVENT_CODE[t] for t in ("email_send", "email_open", "email_click")])
    for key, values in (
        ("person", sent["person"]),
        ("time", sent["time"]),
        ("type", email[sent["kind"]].astype(np.int8)),
        ("campaign", sent_code),
    ):
        events[key] = np.concatenate([events[key], values[keep]])
    # Sort numerically (second, person, type): much cheaper than sorting the text columns.
    seconds = np.floor(events["time"] * 86_400).astype(np.int64)
    order = np.lexsort((events["type"], events["person"], seconds))
    ev_person = events["person"][order]
    ev = pl.DataFrame(
        {
            "guest_id": profile_ids(
                people.person[ev_person], np.zeros(ev_person.size, dtype=np.int64)
            ),
            "event_type": pl.Series(EVENT_TYPES).gather(events["type"][order]),
            "occurred_at": pl.Series((seconds[order] * 1000).astype("datetime64[ms]")),
            "code": events["campaign"][order],
        }
    )
    ev = ev.with_columns(
        event_id=_ids("E", chunk, ev.height),
        source_system=pl.lit("crm"),
        campaign_id=campaign_ids(pl.col("code")),
    ).drop("code")

    # ---- loyalty (members' stays, on the primary profile)
    member_stay = people.is_member[stay_person]
    ms = np.flatnonzero(member_stay)
    loyalty_frame = build_loyalty(
        rng,
        cat,
        pl.DataFrame(
            {
                "person": stay_person[ms],
                "guest_id": profile_ids(
                    people.person[stay_person[ms]], np.zeros(ms.size, dtype=np.int64)
                ),
                "stay_id": stay_id.gather(s[ms]),
                "checkout": checkout[ms],
                "room_revenue": folios.room_revenue[s[ms]],
                "tier": trips.tier[o][s[ms]].astype(np.int64),
                "resolved": resolved[ms],
                # what the stay process counted towards tiers: active-phase nights, by the
                # calendar year the trip started
                "qualifying_nights": np.where(
                    trips.phase[o][s[ms]] == 0, trips.nights[o][s[ms]], 0
                ).astype(np.int64),
                "year": _year_of(trips.time[o][s[ms]]),
            }
        ),
        end_day=end_day,
    )
    loyalty = loyalty_frame.with_columns(occurred_at=_dt(loyalty_frame["time"].to_numpy()))
    loyalty = loyalty.sort(
        "occurred_at", "guest_id", "kind", "stay_id", maintain_order=True
    ).select(
        transaction_id=_ids("L", chunk, loyalty.height),
        guest_id="guest_id",
        transaction_type="kind",
        occurred_at="occurred_at",
        source_system=pl.lit("loyalty"),
        points="points",
        tier="tier",
        reward="reward",
        stay_id="stay_id",
    )

    # ---- preferences
    stays_per_person = np.bincount(stay_person, minlength=n)
    last_stay = np.full(n, np.nan)
    if s.size:
        last_stay[stay_person] = checkout  # sorted by person then time: last write wins
    prefs = build_preferences(
        rng, people, stays_per_person=stays_per_person, last_stay_day=np.nan_to_num(last_stay)
    )
    pref_types = list(PREFERENCES)
    value_table = pl.Series([v for t in pref_types for v in PREFERENCES[t]])
    value_offset = np.cumsum([0] + [len(PREFERENCES[t]) for t in pref_types])[:-1]
    preferences = pl.DataFrame(
        {
            "guest_id": profile_ids(
                people.person[prefs["person"]], np.zeros(prefs["person"].size, dtype=np.int64)
            ),
            "preference_type": pl.Series(pref_types).gather(prefs["type"]),
            "preference_value": value_table.gather(value_offset[prefs["type"]] + prefs["value"]),
            "source_system": "crm",
            "updated_at": _dt(np.minimum(prefs["day"], end_day + 0.9)),
        }
    ).sort("guest_id", "preference_type")

    member_person = campaigns.members["person"]
    members = members_frame(
        campaigns,
        profile_ids(people.person[member_person], np.zeros(member_person.size, dtype=np.int64)),
        _dt(
            np.array([p.day for p in campaigns.plans] or [0], dtype=np.float64)[
                campaigns.members["campaign"].astype(np.int64)
            ]
            + 0.3
        ),
    )

    frames = {
        "guests": guests,
        "bookings": bookings,
        "stays": stays,
        "engagement_events": ev,
        "loyalty_transactions": loyalty,
        "reviews": reviews,
        "preferences": preferences,
        "special_requests": requests,
        "campaign_members": members,
    }
    frames = _campaign_effects(
        frames,
        campaigns,
        campaign_rng,
        cat,
        people,
        chunk=chunk,
        end_day=end_day,
        trip_person=person,
        trip_time=trips.time[o],
        booking_id=booking_id,
        stay_id=stay_id,
    )
    frames = {entity: _contract_order(entity, frame) for entity, frame in frames.items()}
    if spec.dirty_rate > 0:
        dirty_rng = np.random.default_rng([spec.seed, chunk, 1])
        frames = {
            entity: dirt.inject(dirty_rng, entity, frame, spec.dirty_rate)
            for entity, frame in frames.items()
        }
    truth = _truth(
        people,
        identities,
        campaigns.trips,
        fates,
        spec,
        end_day,
        cat,
        truth_columns(people, fates, campaigns, end_day),
    )
    return World(frames=frames, truth=truth)


#: Engagement a deterred guest still receives after leaving (the hotel keeps sending).
_SENDS = ("email_send", "sms_send", "push_send")


def _campaign_effects(  # noqa: ANN001
    frames: dict[str, pl.DataFrame],
    campaigns,
    rng: np.random.Generator,
    cat: Catalog,
    people,
    *,
    chunk: int,
    end_day: int,
    trip_person: np.ndarray,
    trip_time: np.ndarray,
    booking_id: pl.Series,
    stay_id: pl.Series,
) -> dict[str, pl.DataFrame]:
    """What the campaigns' offers changed, on the finished frames: the persuaded gain the
    booking and stay of their extra trip (ids ``BC…`` / ``SC…``, on their primary profile);
    a deterred guest's trips from the campaign's day on are gone with their requests,
    reviews and loyalty rows, and so are their engagement events after it but sends."""
    left = campaigns.left
    if left["person"].size:
        cut = np.full(len(people), np.inf)
        np.minimum.at(cut, left["person"].astype(np.int64), left["day"])
        gone = trip_time >= cut[trip_person]
        gone_bookings = booking_id.filter(pl.Series(gone)).implode()
        gone_stays = stay_id.filter(pl.Series(gone)).implode()
        who = np.flatnonzero(np.isfinite(cut))
        cutoffs = pl.DataFrame(
            {
                "guest_id": profile_ids(people.person[who], np.zeros(who.size, dtype=np.int64)),
                "_cut": _dt(cut[who]),
            }
        )

        def after_cut(frame: pl.DataFrame, column: str) -> pl.DataFrame:
            joined = frame.join(cutoffs, on="guest_id", how="left", maintain_order="left")
            return joined.with_columns(_after=pl.col(column) >= pl.col("_cut")).drop("_cut")

        frames["bookings"] = frames["bookings"].filter(~pl.col("booking_id").is_in(gone_bookings))
        frames["stays"] = frames["stays"].filter(~pl.col("stay_id").is_in(gone_stays))
        frames["special_requests"] = frames["special_requests"].filter(
            ~pl.col("booking_id").is_in(gone_bookings)
        )
        frames["reviews"] = frames["reviews"].filter(~pl.col("stay_id").is_in(gone_stays))
        loyalty = after_cut(frames["loyalty_transactions"], "occurred_at")
        frames["loyalty_transactions"] = loyalty.filter(
            ~pl.col("_after").fill_null(False)
            & ~pl.col("stay_id").is_in(gone_stays).fill_null(False)
        ).drop("_after")
        events = after_cut(frames["engagement_events"], "occurred_at")
        frames["engagement_events"] = events.filter(
            ~pl.col("_after").fill_null(False) | pl.col("event_type").is_in(_SENDS)
        ).drop("_after")
    added = campaigns.added_trips
    if len(added):
        folios = build_folios(rng, cat, people, added)
        person = added.person[folios.order]
        primary = np.zeros(person.size, dtype=np.int64)
        bookings, stays, _ = _trip_frames(
            cat,
            added,
            folios,
            people,
            guest_id=profile_ids(people.person[person], primary),
            system=primary,
            booking_id=_ids("BC", chunk, person.size),
            stay_id=_ids("SC", chunk, person.size),
            end_day=end_day,
        )
        frames["bookings"] = pl.concat([frames["bookings"], bookings], how="vertical_relaxed")
        frames["stays"] = pl.concat([frames["stays"], stays], how="vertical_relaxed")
    return frames


def _trip_frames(
    cat: Catalog,
    trips,  # noqa: ANN001 - synth.stays.Trips
    folios,  # noqa: ANN001 - synth.bookings.Folios
    people,  # noqa: ANN001 - synth.guests.People
    *,
    guest_id: pl.Series,
    system: np.ndarray,
    booking_id: pl.Series,
    stay_id: pl.Series,
    end_day: int,
) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """The bookings and stays of trips (every array in ``folios.order``), and the positions
    of the stays among the trips. No random draws: the same trips give the same rows."""
    o = folios.order
    person = trips.person[o]
    channel = trips.channel[o]
    honoured = ~(trips.cancelled[o] | trips.no_show[o])
    booked = folios.booked_at < end_day + 1
    cancelled_known = trips.cancelled[o] & (folios.cancelled_at < end_day + 1)
    arrived = folios.arrival <= end_day
    departed = folios.departure <= end_day
    status = np.select(
        [cancelled_known, trips.no_show[o] & arrived, honoured & departed],
        [0, 1, 2],
        3,
    )
    status_name = np.array(["cancelled", "no_show", "checked_out", "confirmed"])
    amount = np.round(folios.room_revenue, 2)
    purpose = people.purpose[person]
    bookings = pl.DataFrame(
        {
            "booking_id": booking_id,
            "guest_id": guest_id,
            "source_system": pl.Series(["pms", "crm", "ota"]).gather(system),
            "property_id": pl.Series(cat.property_id).gather(trips.property[o]),
            "booked_at": _dt(folios.booked_at),
            "arrival_date": _date(folios.arrival),
            "departure_date": _date(folios.departure),
            "room_type": pl.Series(cat.room_types).gather(folios.room_type),
            "rate_plan": pl.Series(cat.rate_plans).gather(folios.rate_plan),
            "channel": pl.Series(cat.channels).gather(channel),
            "adults": folios.adults.astype(np.int32),
            "children": folios.children.astype(np.int32),
            "status": pl.Series(status_name).gather(status),
            "cancelled_at": _dt(np.where(cancelled_known, folios.cancelled_at, np.nan)),
            "amount": amount,
            "currency": "EUR",
            "purpose": pl.Series(P.PURPOSES).gather(purpose),
            "booking_changes": folios.changes.astype(np.int32),
        }
    ).filter(pl.Series(booked))

    is_stay = honoured & departed
    s = np.flatnonzero(is_stay)
    total = np.round(
        folios.room_revenue[s]
        + folios.fnb_revenue[s]
        + folios.spa_revenue[s]
        + folios.other_revenue[s],
        2,
    )
    stays = pl.DataFrame(
        {
            "stay_id": stay_id.gather(s),
            "booking_id": booking_id.gather(s),
            "guest_id": guest_id.gather(s),
            "source_system": pl.Series(["pms", "crm", "ota"]).gather(system[s]),
            "property_id": pl.Series(cat.property_id).gather(trips.property[o][s]),
            "check_in_date": _date(folios.arrival[s]),
            "check_out_date": _date(folios.departure[s]),
            "nights": trips.nights[o][s].astype(np.int32),
            "room_type": pl.Series(cat.room_types).gather(folios.room_type[s]),
            "room_revenue": folios.room_revenue[s],
            "fnb_revenue": folios.fnb_revenue[s],
            "spa_revenue": folios.spa_revenue[s],
            "other_revenue": folios.other_revenue[s],
            "total_revenue": total,
            "currency": "EUR",
            "is_upgraded": trips.upgraded[o][s],
            "had_service_failure": trips.failure[o][s],
        }
    )
    return bookings, stays, s


def _vector_requests(purpose: np.ndarray, choice: np.ndarray) -> pl.Series:
    kinds = list(REQUESTS)
    sizes = np.array([len(REQUESTS[k]) for k in kinds])
    offsets = np.cumsum(np.r_[0, sizes])[:-1]
    table = pl.Series([r for k in kinds for r in REQUESTS[k]])
    return table.gather(offsets[purpose] + (choice * sizes[purpose]).astype(np.int64))


def _contract_order(entity: str, frame: pl.DataFrame) -> pl.DataFrame:
    columns = [c for c in CONTRACTS[entity].columns() if c in frame.columns]
    return frame.select(columns)


def _truth(  # noqa: ANN001
    people,
    identities,
    trips,
    fates,
    spec: WorldSpec,
    end_day: int,
    cat: Catalog,
    campaign_truth: dict,
) -> pl.DataFrame:
    n = len(people)
    # The preferred kind gets KIND_LOYALTY on top of the purpose mix: the largest probability.
    preferred_kind = np.argmax(people.kind_probs, axis=1)
    path = np.flatnonzero((trips.phase == 0) & ~(trips.cancelled | trips.no_show))
    path = path[np.lexsort((trips.time[path], trips.person[path]))]
    path = path[trips.time[path] < end_day + 1]
    counts = np.bincount(trips.person[path], minlength=n)
    offsets = np.r_[0, np.cumsum(counts)]
    days = pl.Series(np.floor(trips.time[path]).astype(np.int64).astype("datetime64[D]"))
    values = pl.Series(trips.hazard_after[path])
    hazard_days = pl.Series("hazard_days", [None] * 0)
    hazard_days = _split(days, offsets).alias("hazard_days")
    hazard_values = _split(values, offsets).alias("hazard_values")

    def _by_end(days: np.ndarray) -> pl.Series:
        known = np.isfinite(days) & (days < end_day + 1)
        out = np.floor(np.where(known, days, 0)).astype(np.int64).astype("datetime64[D]")
        return pl.Series(out).set(pl.Series(~known), None) if (~known).any() else pl.Series(out)

    base = pl.DataFrame(
        {
            "person": people.person,
            "person_id": "P" + pl.Series(people.person + 1).cast(pl.Utf8).str.zfill(7),
            "purpose": pl.Series(P.PURPOSES).gather(people.purpose),
            "is_one_off": people.one_off,
            "trip_rate_per_year": people.trip_rate,
            "honour_probability": people.honour_probability,
            "base_hazard_per_year": people.base_hazard,
            "engagement": people.engagement,
            "price_sensitivity": people.price_sensitivity,
            "value": people.value,
            "is_member": people.is_member,
            "acquired_date": _date(people.acquired),
            "disengaged_date": _by_end(fates.disengaged_at),
            "dropout_date": _by_end(fates.dropout_at),
            "world_end": pl.Series([spec.end] * n, dtype=pl.Date),
            "shock_start": pl.Series([spec.shock_start] * n, dtype=pl.Date),
            "shock_end": pl.Series([spec.shock_end] * n, dtype=pl.Date),
            "shock_trip_factor": spec.change.trip_factor(people.purpose),
            "hazard_days": hazard_days,
            "hazard_values": hazard_values,
            "preferred_property_kind": pl.Series(KINDS).gather(preferred_kind),
            "preferred_property_id": pl.Series(cat.property_id).gather(
                people.home_property[np.arange(n), preferred_kind]
            ),
            **campaign_truth,
        }
    )
    primary = base.with_columns(
        guest_id=profile_ids(people.person, np.zeros(n, dtype=np.int64)),
        source_system=pl.lit("pms"),
        is_primary_profile=pl.lit(True),
    )
    dup = np.flatnonzero(identities.has_duplicate)
    system = identities.duplicate_system[dup].astype(np.int64)
    secondary = base[dup].with_columns(
        guest_id=profile_ids(people.person[dup], system),
        source_system=pl.Series(["pms", "crm", "ota"]).gather(system),
        is_primary_profile=pl.lit(False),
    )
    return pl.concat([primary, secondary]).select(
        *TRUTH_COLUMNS, *CHANGE_COLUMNS, *TASTE_COLUMNS, *CAMPAIGN_COLUMNS
    )


def _split(values: pl.Series, offsets: np.ndarray) -> pl.Series:
    """Cut a flat series into lists at ``offsets`` (len n + 1)."""
    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(lengths.size), lengths)
    frame = pl.DataFrame({"owner": owner, "value": values})
    grouped = frame.group_by("owner", maintain_order=True).agg(pl.col("value"))
    full = pl.DataFrame({"owner": np.arange(lengths.size)}).join(
        grouped, on="owner", how="left", maintain_order="left"
    )
    return full["value"].fill_null(pl.Series([[]], dtype=pl.List(values.dtype)).first())


def chunk_count(spec: WorldSpec) -> int:
    return (spec.guests + spec.chunk_people - 1) // spec.chunk_people


def generate_world(spec: WorldSpec) -> World:
    """The whole world in memory (for small worlds and tests)."""
    spec.check()
    worlds = [build_chunk(spec, chunk) for chunk in range(chunk_count(spec))]
    frames = {
        entity: pl.concat([w.frames[entity] for w in worlds], how="vertical_relaxed")
        for entity in worlds[0].frames
    }
    return World(frames=frames, truth=pl.concat([w.truth for w in worlds]))


def write_frames(
    frames: dict[str, pl.DataFrame],
    landing_dir: Path,
    *,
    file_format: FileFormat = "parquet",
    chunk: int = 0,
) -> dict[str, Path]:
    """Write frames as ``<landing>/<entity>/<entity>-<chunk>.<format>``; returns the paths."""
    paths: dict[str, Path] = {}
    suffix = "csv" if file_format == "csv" else "parquet"
    for entity, frame in frames.items():
        folder = landing_dir / entity
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{entity}-{chunk:05d}.{suffix}"
        if file_format == "csv":
            frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d")
        else:
            frame.write_parquet(path, statistics=False)
        paths[entity] = path
    return paths


def _write_chunk(
    spec: WorldSpec, chunk: int, landing_dir: Path, truth_dir: Path | None
) -> tuple[dict[str, int], dict[str, Path], Path | None]:
    world = build_chunk(spec, chunk)
    paths = write_frames(world.frames, landing_dir, file_format=spec.file_format, chunk=chunk)
    rows = {entity: frame.height for entity, frame in world.frames.items()}
    truth_part = None
    if truth_dir is not None:
        truth_part = truth_dir / f"truth-{chunk:05d}.parquet"
        world.truth.write_parquet(truth_part, statistics=False)
    return rows, paths, truth_part


def write_world(
    spec: WorldSpec,
    landing_dir: Path,
    *,
    truth_path: Path | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> WriteResult:
    """Write every entity under ``<landing>/<entity>/<entity>-<chunk>.<format>``.

    ``truth_path``: also write the truth file there (one Parquet file). ``workers``: chunks
    generated in parallel processes (the files are the same whatever the number).
    ``progress(done, total)`` is called after each chunk.
    """
    spec.check()
    total = chunk_count(spec)
    result = WriteResult()
    truth_dir = None
    if truth_path is not None:
        truth_dir = truth_path.parent / f".{truth_path.name}.parts"
        truth_dir.mkdir(parents=True, exist_ok=True)
    load_catalog()  # fail early on a bad seed, before starting workers
    done = 0

    def collect(out: tuple[dict[str, int], dict[str, Path], Path | None]) -> None:
        nonlocal done
        rows, paths, _ = out
        for entity, count in rows.items():
            result.rows[entity] = result.rows.get(entity, 0) + count
            result.files.setdefault(entity, []).append(paths[entity])
        done += 1
        if progress:
            progress(done, total)

    if workers > 1 and total > 1:
        # spawn, not fork: forking a process that has started polars' thread pool can deadlock
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=context) as pool:
            futures = [
                pool.submit(_write_chunk, spec, chunk, landing_dir, truth_dir)
                for chunk in range(total)
            ]
            for future in futures:
                collect(future.result())
    else:
        for chunk in range(total):
            collect(_write_chunk(spec, chunk, landing_dir, truth_dir))

    if truth_path is not None and truth_dir is not None:
        parts = sorted(truth_dir.glob("truth-*.parquet"))
        pl.concat([pl.read_parquet(p) for p in parts]).write_parquet(truth_path, statistics=False)
        for part in parts:
            part.unlink()
        truth_dir.rmdir()
        result.truth_path = truth_path
    return result


def default_workers() -> int:
    """Processes for ``generate``: up to two (about 1.5 GiB of memory each)."""
    return max(1, min(2, (os.cpu_count() or 1)))


def remove_generated(landing_dir: Path) -> list[Path]:
    """Delete the files ``write_world`` writes (and nothing else) under ``landing_dir``."""
    removed: list[Path] = []
    for entity in CONTRACTS:
        folder = landing_dir / entity
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and _GENERATED.fullmatch(path.name) and path.name.startswith(entity):
                path.unlink()
                removed.append(path)
    return removed


__all__ = [
    "WorldSpec",
    "World",
    "WriteResult",
    "generate_world",
    "write_world",
    "build_chunk",
    "replace",
]
