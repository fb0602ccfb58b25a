"""The repeat-stay process with silent dropout.

Each person makes *trips* (bookings) as a Poisson process with their trip rate. A trip is
cancelled or a no-show with a probability set by its channel, property kind and rate plan;
otherwise it becomes a *stay*, with an experience: a service failure (complained about,
resolved or not), a satisfaction score, perhaps an upgrade.

While **active**, a person starts to **disengage** at a hazard that is constant between stays
and is reset after each stay::

    hazard = base_hazard x tier_factor[tier] x exp(BADNESS_HAZARD x badness)
    badness = max(0, BADNESS_DECAY x badness + bad experience of the stay)

so bad experiences raise it and loyalty tier (and, through ``base_hazard``, engagement and
membership) lower it. A disengaging person travels at ``DISENGAGED_TRIP_FACTOR`` of their rate
and their engagement fades; after an exponential time (mean ``DISENGAGE_DAYS``) they **drop
out** and never come back. Nobody announces either step: both are only in the truth file.

Everything is vectorised over the people still active: one loop iteration per trip number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.synth import params as P
from guestloyalty.synth.catalog import Catalog
from guestloyalty.synth.change import Change
from guestloyalty.synth.guests import (
    People,
    _choose_rows,
    advance_purchase_allowed,
    cancel_probability,
)

YEAR = 365.25
EPOCH_YEAR = 1970

NIGHTS_BASE = np.array(  # [purpose, kind]: minimum nights
    [[1, 1, 1], [1, 2, 1], [1, 3, 1], [1, 2, 1]]
)
NIGHTS_EXTRA = np.array(  # [purpose, kind]: Poisson mean on top
    [[1.0, 2.0, 0.25], [1.6, 2.3, 0.3], [1.8, 2.0, 0.3], [1.4, 1.6, 0.3]]
)


@dataclass
class Trips:
    """One entry per trip (a booking), in no particular order."""

    person: np.ndarray  # local person index
    time: np.ndarray  # float days since 1970-01-01 the trip starts
    first: np.ndarray  # the acquisition trip (always honoured)
    phase: np.ndarray  # 0 active, 1 disengaging
    channel: np.ndarray
    kind: np.ndarray
    property: np.ndarray
    non_refundable: np.ndarray
    cancelled: np.ndarray
    no_show: np.ndarray
    nights: np.ndarray
    failure: np.ndarray  # had a service failure (honoured stays only)
    complained: np.ndarray
    resolved: np.ndarray
    upgraded: np.ndarray
    satisfaction: np.ndarray  # latent, drives NPS
    tier: np.ndarray  # loyalty tier rank - 1 at the stay (-1 non-member)
    hazard_after: np.ndarray  # per year, after this stay (nan when not an active-phase stay)

    @property
    def honoured(self) -> np.ndarray:
        return ~(self.cancelled | self.no_show)

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class Fates:
    """Per person: when they started to disengage and dropped out (inf: not yet)."""

    disengaged_at: np.ndarray
    dropout_at: np.ndarray


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + EPOCH_YEAR


def _tier_for(nights: np.ndarray, cat: Catalog) -> np.ndarray:
    return (nights[:, None] >= cat.tier_nights[None, :]).sum(axis=1) - 1


def _draw_attributes(
    rng: np.random.Generator,
    cat: Catalog,
    people: People,
    who: np.ndarray,
    first: np.ndarray,
    tier: np.ndarray,
) -> dict[str, np.ndarray]:
    """Channel, property, rate plan, outcome and experience of one trip per ``who``."""
    m = len(who)
    channel = _choose_rows(rng, people.channel_probs[who])
    kind = _choose_rows(rng, people.kind_probs[who])
    home = people.home_property[who, kind]
    elsewhere = rng.random(m) < 0.3
    options_per_kind = [cat.properties_of_kind(k) for k in range(3)]
    alt = np.empty(m, dtype=np.int16)
    for k, options in enumerate(options_per_kind):
        sel = kind == k
        alt[sel] = options[rng.integers(0, len(options), sel.sum())]
    prop = np.where(elsewhere, alt, home)
    non_refundable = advance_purchase_allowed(cat)[channel] & (
        rng.random(m) < people.advance_purchase[who]
    )
    cancelled = rng.random(m) < cancel_probability(cat, channel, kind, non_refundable)
    no_show = ~cancelled & (rng.random(m) < P.NO_SHOW_PROBABILITY)
    purpose = people.purpose[who]
    nights = NIGHTS_BASE[purpose, kind] + rng.poisson(NIGHTS_EXTRA[purpose, kind])
    honoured = ~(cancelled | no_show)
    failure = honoured & (rng.random(m) < np.asarray(P.SERVICE_FAILURE)[kind])
    complained = failure & (rng.random(m) < P.COMPLAINT_PROBABILITY)
    member = tier >= 0
    resolved = complained & (
        rng.random(m) < np.where(member, P.RESOLVED_PROBABILITY_MEMBER, P.RESOLVED_PROBABILITY)
    )
    upgrade_p = np.where(member, cat.tier_upgrade_probability[np.maximum(tier, 0)], 0.02)
    upgraded = honoured & ~failure & (rng.random(m) < upgrade_p)
    satisfaction = (
        people.satisfaction[who] * 0.8
        + rng.normal(0.0, 0.7, m)
        - 2.2 * failure
        + 1.0 * resolved
        + 0.5 * upgraded
    )
    return {
        "channel": channel,
        "kind": kind,
        "property": prop,
        "non_refundable": non_refundable,
        "cancelled": cancelled,
        "no_show": no_show,
        "nights": nights,
        "failure": failure,
        "complained": complained,
        "resolved": resolved,
        "upgraded": upgraded,
        "satisfaction": satisfaction,
    }


def nps_from_satisfaction(satisfaction: np.ndarray) -> np.ndarray:
    """Net-promoter answer 0..10 a guest would give after a stay."""
    return np.clip(np.round(8.0 + 1.6 * satisfaction), 0, 10).astype(np.int8)


def bad_experience(attrs: dict[str, np.ndarray]) -> np.ndarray:
    """How much one stay adds to a person's badness (negative for a great stay)."""
    nps = nps_from_satisfaction(attrs["satisfaction"])
    unresolved = attrs["failure"] & ~attrs["resolved"]
    return (
        1.0 * attrs["failure"]
        + 1.0 * unresolved
        + 0.8 * (nps <= 6)
        + 0.6 * (nps <= 3)
        - 0.3 * (nps >= 9)
    )


def simulate_trips(
    rng: np.random.Generator,
    cat: Catalog,
    people: People,
    *,
    until_day: float,
    change: Change | None = None,
) -> tuple[Trips, Fates]:
    """Run the process for every person from their acquisition until ``until_day``.

    ``change``: inside its shock a trip after the acquisition happens with the probability of
    the person's purpose (thinning), so stays there come at that fraction of the rate.
    """
    change = change or Change()
    shock_factor = change.trip_factor(people.purpose)
    n = len(people)
    t = people.acquired.copy()
    active = np.ones(n, dtype=bool)
    badness = np.zeros(n)
    tier = np.where(people.is_member, 0, -1).astype(np.int64)
    cur_year = np.zeros(n, dtype=np.int64)
    cur_nights = np.zeros(n)
    prev_nights = np.zeros(n)
    disengaged_at = np.full(n, np.inf)
    dropout_at = np.full(n, np.inf)
    rate_per_day = people.trip_rate / YEAR
    tier_hazard = np.asarray(P.TIER_HAZARD)
    chunks: list[dict[str, np.ndarray]] = []
    first_round = True

    while True:
        who = np.flatnonzero(active & (t < until_day))
        if who.size == 0:
            break
        first = np.full(who.size, first_round)
        attrs = _draw_attributes(rng, cat, people, who, first, tier[who])
        honoured = ~(attrs["cancelled"] | attrs["no_show"])
        # A thinned trip never happened: no booking, no stay, the hazard unchanged.
        happens = np.ones(who.size, dtype=bool)
        if change.has_shock and not first_round:
            shocked = change.in_shock(t[who])
            happens = ~shocked | (rng.random(who.size) < shock_factor[who])
            honoured &= happens

        # Loyalty tier: qualifying nights per calendar year, status valid through next year.
        member = people.is_member[who] & honoured
        year = _year_of(t[who])
        roll = member & (year != cur_year[who])
        next_year = roll & (year == cur_year[who] + 1)
        prev_nights[who[roll]] = np.where(next_year[roll], cur_nights[who[roll]], 0.0)
        cur_nights[who[roll]] = 0.0
        cur_year[who[roll]] = year[roll]
        cur_nights[who[member]] += attrs["nights"][member]
        new_tier = np.maximum(_tier_for(prev_nights[who], cat), _tier_for(cur_nights[who], cat))
        tier[who[member]] = new_tier[member]

        # Experience and hazard, updated after each stay only.
        bad = bad_experience(attrs)
        badness[who] = np.where(
            honoured, np.maximum(0.0, P.BADNESS_DECAY * badness[who] + bad), badness[who]
        )
        hazard = (
            people.base_hazard[who]
            * tier_hazard[np.maximum(tier[who], 0)]
            * np.exp(P.BADNESS_HAZARD * badness[who])
        )
        chunk = {
            "person": who,
            "time": t[who],
            "first": first,
            "phase": np.zeros(who.size, dtype=np.int8),
            "tier": tier[who].copy(),
            "hazard_after": np.where(honoured, hazard, np.nan),
            **attrs,
        }
        chunks.append(chunk if happens.all() else {k: v[happens] for k, v in chunk.items()})

        # Next trip, or the start of disengagement, whichever comes first.
        after = t[who] + np.where(honoured, attrs["nights"], 0)
        gap = rng.exponential(1.0, who.size) / rate_per_day[who]
        leave = rng.exponential(1.0, who.size) * YEAR / hazard
        goes = leave < gap
        disengaged_at[who[goes]] = after[goes] + leave[goes]
        dropout_at[who[goes]] = disengaged_at[who[goes]] + rng.exponential(
            P.DISENGAGE_DAYS, goes.sum()
        )
        active[who[goes]] = False
        t[who] = np.where(goes, t[who], after + gap)
        first_round = False

    # Disengaging phase: fewer trips, spread uniformly until the dropout.
    gone = np.flatnonzero(np.isfinite(disengaged_at) & (disengaged_at < until_day))
    span = np.minimum(dropout_at[gone], until_day) - disengaged_at[gone]
    count = rng.poisson(rate_per_day[gone] * P.DISENGAGED_TRIP_FACTOR * span)
    who = np.repeat(gone, count)
    if who.size:
        when = np.repeat(disengaged_at[gone], count) + rng.random(who.size) * np.repeat(span, count)
        if change.has_shock:
            kept = ~change.in_shock(when) | (rng.random(who.size) < shock_factor[who])
            who, when = who[kept], when[kept]
        attrs = _draw_attributes(rng, cat, people, who, np.zeros(who.size, dtype=bool), tier[who])
        chunks.append(
            {
                "person": who,
                "time": when,
                "first": np.zeros(who.size, dtype=bool),
                "phase": np.ones(who.size, dtype=np.int8),
                "tier": tier[who].copy(),
                "hazard_after": np.full(who.size, np.nan),
                **attrs,
            }
        )
    trips = Trips(**{key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]})
    return trips, Fates(disengaged_at=disengaged_at, dropout_at=dropout_at)
