"""People and their latent traits: what drives everything a guest does.

A *person* is the real traveller; a *profile* (see :mod:`identity`) is how a source system
knows them. Traits are drawn once per person and never observed directly: trip purpose,
trip rate, price sensitivity, value, preferred channel and property kind, engagement,
loyalty membership, satisfaction baseline and the base hazard of dropping out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guestloyalty.synth import params as P
from guestloyalty.synth.catalog import Catalog
from guestloyalty.synth.change import Change


@dataclass
class People:
    """One entry per person; every array has the same length."""

    person: np.ndarray  # global person number (0-based)
    purpose: np.ndarray  # int8 into params.PURPOSES
    one_off: np.ndarray  # bool
    trip_rate: np.ndarray  # trips per year while active
    kind_probs: np.ndarray  # [n, 3] probability a trip goes to each property kind
    channel_probs: np.ndarray  # [n, channels]
    home_property: np.ndarray  # int, a favourite property per kind [n, 3]
    price_sensitivity: np.ndarray
    value: np.ndarray  # spending multiplier
    engagement: np.ndarray  # 0..1
    satisfaction: np.ndarray  # baseline, standard normal
    is_member: np.ndarray
    consent: np.ndarray
    email_opt_in: np.ndarray
    sms_opt_in: np.ndarray
    app_user: np.ndarray
    advance_purchase: np.ndarray  # probability of a non-refundable rate when available
    base_hazard: np.ndarray  # per year, before tier and experience effects
    honour_probability: np.ndarray  # probability a trip ends in a stay (not cancelled/no-show)
    acquired: np.ndarray  # float days since 1970-01-01 of the first trip

    def __len__(self) -> int:
        return len(self.person)


def draw_people(
    rng: np.random.Generator,
    cat: Catalog,
    *,
    first_person: int,
    n: int,
    start_day: int,
    end_day: int,
    change: Change | None = None,
) -> People:
    """Draw ``n`` people acquired (first stay) over [start, end]: uniformly, or as
    ``change`` says (growth, fewer in a shock)."""
    purpose = rng.choice(len(P.PURPOSES), n, p=P.PURPOSE_SHARE).astype(np.int8)
    one_off = rng.random(n) < np.asarray(P.ONE_OFF_SHARE)[purpose]
    repeat_rate = (
        rng.gamma(P.TRIP_RATE_SHAPE, 1.0 / P.TRIP_RATE_SHAPE, n)
        * np.asarray(P.TRIPS_PER_YEAR)[purpose]
    )
    trip_rate = np.where(one_off, rng.exponential(P.ONE_OFF_TRIPS_PER_YEAR, n), repeat_rate)

    kind_mix = np.asarray(P.KIND_MIX)[purpose]
    kind_pref = _choose_rows(rng, kind_mix)
    kind_probs = (1 - P.KIND_LOYALTY) * kind_mix
    kind_probs[np.arange(n), kind_pref] += P.KIND_LOYALTY

    channel_mix = np.asarray(P.CHANNEL_MIX)[purpose]
    assert channel_mix.shape[1] == len(cat.channels)
    price_sensitivity = rng.beta(2.0, 2.0, n)
    # Price-sensitive leisure travellers lean to OTAs, the rest to direct channels.
    ota = cat.channel_code("ota")
    tilt = np.ones_like(channel_mix)
    tilt[:, ota] = 0.5 + price_sensitivity * 1.0
    channel_mix = channel_mix * tilt
    channel_mix /= channel_mix.sum(axis=1, keepdims=True)
    channel_pref = _choose_rows(rng, channel_mix)
    channel_probs = (1 - P.CHANNEL_LOYALTY) * channel_mix
    channel_probs[np.arange(n), channel_pref] += P.CHANNEL_LOYALTY

    home_property = np.empty((n, 3), dtype=np.int16)
    for kind in range(3):
        options = cat.properties_of_kind(kind)
        home_property[:, kind] = options[rng.integers(0, len(options), n)]

    engagement = rng.beta(2.0, 3.0, n)
    value = rng.lognormal(0.0, 0.30, n) * (1.25 - 0.5 * price_sensitivity)
    is_member = rng.random(n) < 0.10 + 0.55 * engagement + 0.12 * (purpose == 0)
    consent = rng.random(n) < 0.45 + 0.45 * engagement
    email_opt_in = consent & (rng.random(n) < 0.92)
    sms_opt_in = consent & (rng.random(n) < 0.35)
    app_user = rng.random(n) < 0.05 + 0.45 * engagement * (0.6 + 0.4 * is_member)
    advance_purchase = 0.05 + 0.30 * price_sensitivity

    base_hazard = (
        P.BASE_HAZARD_PER_YEAR
        * rng.lognormal(-0.5 * P.HAZARD_SPREAD**2, P.HAZARD_SPREAD, n)
        * np.exp(-P.ENGAGEMENT_HAZARD * (engagement - 0.4))
        * np.where(is_member, P.MEMBER_HAZARD, 1.0)
    )
    acquired = (change or Change()).acquisition_days(rng.random(n), start_day, end_day)

    people = People(
        person=np.arange(first_person, first_person + n, dtype=np.int64),
        purpose=purpose,
        one_off=one_off,
        trip_rate=trip_rate,
        kind_probs=kind_probs,
        channel_probs=channel_probs,
        home_property=home_property,
        price_sensitivity=price_sensitivity,
        value=value,
        engagement=engagement,
        satisfaction=rng.standard_normal(n),
        is_member=is_member,
        consent=consent,
        email_opt_in=email_opt_in,
        sms_opt_in=sms_opt_in,
        app_user=app_user,
        advance_purchase=advance_purchase,
        base_hazard=base_hazard,
        honour_probability=np.zeros(n),
        acquired=acquired,
    )
    people.honour_probability = honour_probability(people, cat)
    return people


def cancel_probability(
    cat: Catalog, channel: np.ndarray, kind: np.ndarray, non_refundable: np.ndarray
) -> np.ndarray:
    """Probability a booking is cancelled, from its channel, property kind and rate plan."""
    by_channel = np.array([P.CANCEL_BY_CHANNEL[c] for c in cat.channels])
    p = by_channel[channel] * np.asarray(P.CANCEL_BY_KIND)[kind]
    return np.minimum(np.where(non_refundable, p * P.CANCEL_NON_REFUNDABLE, p), 0.95)


def advance_purchase_allowed(cat: Catalog) -> np.ndarray:
    """Channels where a non-refundable advance-purchase rate can be booked."""
    return ~np.isin(cat.channels, ["corporate", "group", "gds"])


def honour_probability(people: People, cat: Catalog) -> np.ndarray:
    """Exact probability that one trip of each person ends in a stay.

    Channel, property kind and rate plan are drawn independently per trip from the person's
    probabilities, so the expectation factorises; this is what the oracle uses to thin the
    trip process into the stay process.
    """
    by_channel = np.array([P.CANCEL_BY_CHANNEL[c] for c in cat.channels])
    kind_factor = people.kind_probs @ np.asarray(P.CANCEL_BY_KIND)
    allowed = advance_purchase_allowed(cat)
    adv = people.advance_purchase[:, None] * allowed[None, :]
    plan_factor = 1.0 - adv * (1.0 - P.CANCEL_NON_REFUNDABLE)
    # min(.., 0.95) never binds with the seeded figures (max 0.45 x 1.12).
    cancel = (people.channel_probs * by_channel[None, :] * plan_factor).sum(axis=1) * kind_factor
    return (1.0 - cancel) * (1.0 - P.NO_SHOW_PROBABILITY)


def _choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix."""
    cumulative = np.cumsum(probs, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(probs))[:, None]
    return (u > cumulative).sum(axis=1).astype(np.int8)
