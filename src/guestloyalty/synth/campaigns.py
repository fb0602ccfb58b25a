"""Past retention campaigns with randomized holdouts and a heterogeneous true effect.

Every ``CAMPAIGN_SPACING_MONTHS`` over the world's last two years (:func:`plan_campaigns`;
the windows close before its end) the hotel e-mails a retention offer to a random part of
the guests it may contact (marketing consent and e-mail opt-in, a stay in the two years
before) and holds a random share of them out. Each person answers an offer in one way
(:data:`RESPONSE_TYPES`), fixed by who they are at the campaign's date:

- ``lost_cause``: dropped out already (or a one-off traveller): the offer changes nothing;
- ``sleeping_dog``: low engagement; contacting them raises their hazard: with
  ``deter_probability`` they drop out on the spot (their later trips never happen, the truth's
  dropout date moves there);
- ``sure_thing``: a frequent regular who comes back anyway;
- ``persuadable``: the rest; one who would not have come back does with
  ``persuade_probability``, higher the more price-sensitive they are.

Both potential outcomes are drawn for every member (returned in the window without the
offer, ``y0``, and with it, ``y1``); only the treatment group's ``y1`` becomes real trips (an
extra trip for the persuaded, every later trip removed for the deterred). The world is built
from the natural trips and these changes are applied to its finished rows, so a person no
campaign changed has the same rows as in a world without campaigns. The truth file keeps
``y0``/``y1`` per campaign, so a campaign's true effect is the mean of ``y1 - y0`` over its
members, and each person's type and expected uplift if contacted at the world's end.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import polars as pl

from guestloyalty.synth.guests import People
from guestloyalty.synth.stays import Fates, Trips, _draw_attributes

RESPONSE_TYPES: tuple[str, ...] = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
CAMPAIGN_SPACING_MONTHS = 2
LABELED_CAMPAIGNS = 6
RECENT_CAMPAIGNS = 2
WINDOW_DAYS = 60
#: Days between the last campaign's window and the world's end.
END_MARGIN_DAYS = 10
TARGET_SHARE = 0.5
HOLDOUT_SHARES: tuple[float, ...] = (0.2, 0.3, 0.5)
OFFER_ID = "winback_rate"
OFFER_COST = 15.0
#: Engagement below this: contacting does harm (a sleeping dog).
SLEEPING_DOG_ENGAGEMENT = 0.18
DETER_PROBABILITY = 0.5
#: Trips per year from which a regular comes back anyway (a sure thing).
SURE_THING_TRIPS = 3.0
PERSUADE_BASE = 0.05
PERSUADE_BY_PRICE = 0.40
ELIGIBLE_RECENCY_DAYS = 730


@dataclass(frozen=True)
class CampaignPlan:
    """One past campaign: id, first day (days since 1970), window, holdout share."""

    campaign_id: str
    day: int
    window_days: int
    holdout_share: float


def _month_start(day: int, months_back: int = 0) -> int:
    month = np.datetime64(day, "D").astype("datetime64[M]") - months_back
    return int(month.astype("datetime64[D]").astype(np.int64))


def plan_campaigns(seed: int, start_day: int, end_day: int) -> list[CampaignPlan]:
    """The world's campaigns, oldest first (the same in every chunk of a seed).

    ``LABELED_CAMPAIGNS`` start on the month starts that a run as of the world's end uses as
    labeled feature snapshots (one horizon, 365 days, before the end, and every
    ``CAMPAIGN_SPACING_MONTHS`` before that), so each member has point-in-time features at
    the campaign's start; ``RECENT_CAMPAIGNS`` more run in the last months, measured only.
    """
    days = [
        _month_start(end_day - 365, CAMPAIGN_SPACING_MONTHS * k) for k in range(LABELED_CAMPAIGNS)
    ]
    days += [
        _month_start(end_day - WINDOW_DAYS - END_MARGIN_DAYS, CAMPAIGN_SPACING_MONTHS * k)
        for k in range(RECENT_CAMPAIGNS)
    ]
    plans = []
    for k, day in enumerate(sorted(set(days))):
        if day < start_day + 180 or day + WINDOW_DAYS > end_day - 5:
            continue
        month = np.datetime64(day, "D").astype("datetime64[M]").astype(str).replace("-", "")
        holdout = np.random.default_rng([seed, 20, k]).choice(HOLDOUT_SHARES)
        plans.append(CampaignPlan(f"RET-{month}", int(day), WINDOW_DAYS, float(holdout)))
    return plans


def response_of(
    people: People, fates: Fates, day: float, window_days: float = WINDOW_DAYS
) -> tuple[np.ndarray, ...]:
    """Per person at ``day``: type code (into RESPONSE_TYPES), P(persuaded), P(deterred).

    Gone (a lost cause): a one-off traveller, or out before the window closes."""
    gone = (fates.dropout_at < day + window_days) | people.one_off
    sleeping = ~gone & (people.engagement < SLEEPING_DOG_ENGAGEMENT)
    sure = ~gone & ~sleeping & (people.trip_rate >= SURE_THING_TRIPS)
    kind = np.select([gone, sleeping, sure], [2, 3, 1], 0).astype(np.int8)
    persuade = np.where(
        kind == 0, PERSUADE_BASE + PERSUADE_BY_PRICE * people.price_sensitivity, 0.0
    )
    deter = np.where(kind == 3, DETER_PROBABILITY, 0.0)
    return kind, persuade, deter


def _returns(trips: Trips, n: int, start: float, stop: float) -> np.ndarray:
    """Per person: an honoured trip starting in [start, stop)."""
    inside = trips.honoured & (trips.time >= start) & (trips.time < stop)
    return np.bincount(trips.person[inside], minlength=n) > 0


def _take(trips: Trips, keep: np.ndarray) -> Trips:
    return Trips(**{f.name: getattr(trips, f.name)[keep] for f in dataclasses.fields(Trips)})


def _concat(a: Trips, b: dict[str, np.ndarray]) -> Trips:
    return Trips(
        **{
            f.name: np.concatenate([getattr(a, f.name), b[f.name].astype(getattr(a, f.name).dtype)])
            for f in dataclasses.fields(Trips)
        }
    )


@dataclass
class CampaignOutcome:
    """What the campaigns did: the trips with their effect, members and per-person truth."""

    trips: Trips
    #: One row per member: person, campaign index, treated, y0, y1, type code.
    members: dict[str, np.ndarray]
    plans: list[CampaignPlan]
    #: The trips the persuaded made because of an offer: person, time.
    added: dict[str, np.ndarray]
    #: Those trips in full (the world books them), and who left when contacted: person, day.
    added_trips: Trips
    left: dict[str, np.ndarray]


def run_campaigns(
    rng: np.random.Generator,
    cat,  # noqa: ANN001 - synth.catalog.Catalog
    people: People,
    fates: Fates,
    trips: Trips,
    plans: list[CampaignPlan],
) -> CampaignOutcome:
    """Select, randomize and apply each campaign in date order (``fates`` of the deterred
    move to the campaign's day, in place)."""
    n = len(people)
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("person", "campaign", "treated", "y0", "y1", "kind")
    }
    added: dict[str, list[np.ndarray]] = {"person": [], "time": []}
    added_parts: list[dict[str, np.ndarray]] = []
    left: dict[str, list[np.ndarray]] = {"person": [], "day": []}
    for index, plan in enumerate(plans):
        day, stop = float(plan.day), float(plan.day + plan.window_days)
        honoured = trips.honoured & (trips.time < day)
        last = np.full(n, -np.inf)
        np.maximum.at(last, trips.person[honoured], trips.time[honoured])
        eligible = (
            people.consent
            & people.email_opt_in
            & (people.acquired < day)
            & (last > day - ELIGIBLE_RECENCY_DAYS)
        )
        chosen = np.flatnonzero(eligible & (rng.random(n) < TARGET_SHARE))
        treated = rng.random(chosen.size) >= plan.holdout_share
        y0 = _returns(trips, n, day, stop)[chosen]
        kind, persuade, deter = response_of(people, fates, day, plan.window_days)
        persuaded = rng.random(chosen.size) < persuade[chosen]
        deterred = rng.random(chosen.size) < deter[chosen]
        y1 = np.where(y0, ~deterred, persuaded)
        # the treatment group's y1 becomes real
        leave = chosen[treated & deterred]
        add = chosen[treated & ~y0 & y1]
        if leave.size:
            left["person"].append(leave)
            left["day"].append(np.full(leave.size, day))
            trips = _take(trips, ~(np.isin(trips.person, leave) & (trips.time >= day)))
            fates.disengaged_at[leave] = np.minimum(fates.disengaged_at[leave], day)
            fates.dropout_at[leave] = np.minimum(fates.dropout_at[leave], day)
        if add.size:
            tier = np.where(people.is_member[add], 0, -1).astype(np.int64)
            attrs = _draw_attributes(rng, cat, people, add, np.zeros(add.size, dtype=bool), tier)
            attrs["cancelled"] = np.zeros(add.size, dtype=bool)
            attrs["no_show"] = np.zeros(add.size, dtype=bool)
            when = day + rng.uniform(3.0, plan.window_days - 10.0, add.size)
            added["person"].append(add)
            added["time"].append(when)
            part = {
                "person": add,
                "time": when,
                "first": np.zeros(add.size, dtype=bool),
                "phase": np.ones(add.size, dtype=np.int8),
                "tier": tier,
                "hazard_after": np.full(add.size, np.nan),
                **attrs,
            }
            added_parts.append(part)
            trips = _concat(trips, part)
        for key, value in (
            ("person", chosen),
            ("campaign", np.full(chosen.size, index)),
            ("treated", treated),
            ("y0", y0),
            ("y1", y1),
            ("kind", kind[chosen]),
        ):
            columns[key].append(value)
    members = {
        key: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        for key, parts in columns.items()
    }
    extra = {
        key: np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)
        for key, parts in added.items()
    }
    empty = _take(trips, np.zeros(len(trips), dtype=bool))
    added_trips = empty
    for part in added_parts:
        added_trips = _concat(added_trips, part)
    gone = {
        key: np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)
        for key, parts in left.items()
    }
    return CampaignOutcome(
        trips=trips, members=members, plans=plans, added=extra, added_trips=added_trips, left=gone
    )


def campaign_events(
    rng: np.random.Generator, people: People, outcome: CampaignOutcome
) -> dict[str, np.ndarray]:
    """The treatment group's e-mail send, opens and clicks: person, time, kind, campaign."""
    m = outcome.members
    treated = np.flatnonzero(m["treated"])
    who = m["person"][treated]
    day = np.array([p.day for p in outcome.plans], dtype=np.float64)[m["campaign"][treated]]
    send = day + rng.uniform(0.35, 0.45, who.size)
    opened = rng.random(who.size) < 0.05 + 0.6 * people.engagement[who]
    clicked = opened & (rng.random(who.size) < 0.25)
    delay = rng.exponential(1.0, who.size)
    index = m["campaign"][treated]
    return {
        "person": np.concatenate([who, who[opened], who[clicked]]),
        "time": np.concatenate([send, (send + delay)[opened], (send + delay + 0.01)[clicked]]),
        "kind": np.concatenate(
            [
                np.zeros(who.size, dtype=np.int8),
                np.ones(opened.sum(), dtype=np.int8),
                np.full(clicked.sum(), 2, dtype=np.int8),
            ]
        ),
        "campaign": np.concatenate([index, index[opened], index[clicked]]),
    }


def members_frame(
    outcome: CampaignOutcome, guest_id: pl.Series, assigned_at: pl.Series
) -> pl.DataFrame:
    """The ``campaign_members`` rows (on the primary profile, as the CRM exported them)."""
    m = outcome.members
    index = m["campaign"].astype(np.int64)
    ids = np.array([p.campaign_id for p in outcome.plans] or [""], dtype=object)
    windows = np.array([p.window_days for p in outcome.plans] or [0], dtype=np.int32)
    campaign_id = pl.Series("campaign_id", ids[index].tolist(), dtype=pl.Utf8)
    return pl.DataFrame(
        {
            "campaign_id": campaign_id,
            "guest_id": guest_id,
            "assigned_group": pl.Series(
                np.where(m["treated"], "treatment", "control").tolist(), dtype=pl.Utf8
            ),
            "assigned_at": assigned_at,
            "window_days": pl.Series(windows[index]),
        }
    ).with_columns(
        source_system=pl.lit("crm"),
        campaign_name="Retention wave " + pl.col("campaign_id").str.slice(4),
        offer_id=pl.lit(OFFER_ID),
        offer_cost=pl.lit(OFFER_COST),
        currency=pl.lit("EUR"),
        selected_from=pl.lit("retention_wave"),
    )


def truth_columns(
    people: People, fates: Fates, outcome: CampaignOutcome, end_day: int
) -> dict[str, object]:
    """Per person: campaigns joined with both potential outcomes, and the response at the
    world's end: type, probabilities, whether they return in the ``WINDOW_DAYS`` after it
    anyway, and the expected uplift of contacting them then."""
    n = len(people)
    m = outcome.members
    order = np.lexsort((m["campaign"], m["person"]))
    counts = np.bincount(m["person"], minlength=n)
    owner = np.repeat(np.arange(n), counts)
    ids = np.array([p.campaign_id for p in outcome.plans] or [""], dtype=object)

    def lists(values: np.ndarray, dtype: pl.DataType) -> pl.Series:
        frame = pl.DataFrame({"owner": owner, "value": pl.Series(values, dtype=dtype)})
        grouped = frame.group_by("owner", maintain_order=True).agg(pl.col("value"))
        full = pl.DataFrame({"owner": np.arange(n)}).join(
            grouped, on="owner", how="left", maintain_order="left"
        )
        return full["value"].fill_null(pl.Series([[]], dtype=pl.List(dtype)).first())

    a = outcome.added
    added_order = np.argsort(a["person"], kind="stable")
    added_counts = np.bincount(a["person"].astype(np.int64), minlength=n)
    added_owner = np.repeat(np.arange(n), added_counts)
    added_days = pl.DataFrame(
        {
            "owner": added_owner,
            "value": pl.Series(
                np.floor(a["time"][added_order]).astype(np.int64).astype("datetime64[D]")
            ),
        }
    )
    grouped = added_days.group_by("owner", maintain_order=True).agg(pl.col("value"))
    stay_days = (
        pl.DataFrame({"owner": np.arange(n)})
        .join(grouped, on="owner", how="left", maintain_order="left")["value"]
        .fill_null(pl.Series([[]], dtype=pl.List(pl.Date)).first())
    )
    day = float(end_day + 1)
    kind, persuade, deter = response_of(people, fates, day)
    y0 = _returns(outcome.trips, n, day, day + WINDOW_DAYS)
    return {
        "campaign_ids": lists(ids[m["campaign"][order]].tolist(), pl.Utf8),
        "campaign_treated": lists(m["treated"][order], pl.Boolean),
        "campaign_y0": lists(m["y0"][order].astype(np.int8), pl.Int8),
        "campaign_y1": lists(m["y1"][order].astype(np.int8), pl.Int8),
        "campaign_stay_days": stay_days,
        "campaign_response": pl.Series(RESPONSE_TYPES).gather(kind),
        "persuade_probability": persuade,
        "deter_probability": deter,
        "returns_after_end": y0,
        "true_uplift_at_end": np.where(y0, -deter, persuade),
    }
