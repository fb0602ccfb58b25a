"""Behavioural parameters of the synthetic world (how guests act, not what the hotel sells).

Figures are chosen so the default world lands inside the real-data ranges of
``tests/unit/test_realism.py`` (Hotel Booking Demand, Antonio et al. 2019).
"""

from __future__ import annotations

#: Trip purposes, contract order, and their share of guests.
PURPOSES: tuple[str, ...] = ("business", "leisure", "family", "group")
PURPOSE_SHARE: tuple[float, ...] = (0.30, 0.42, 0.18, 0.10)

#: Share of guests who are "one-off" travellers (a very low trip rate), by purpose.
ONE_OFF_SHARE: tuple[float, ...] = (0.55, 0.78, 0.78, 0.82)
ONE_OFF_TRIPS_PER_YEAR = 0.06
#: Mean trips per year of repeat-prone guests while active, by purpose (gamma, shape below).
TRIPS_PER_YEAR: tuple[float, ...] = (5.0, 1.6, 1.2, 0.9)
TRIP_RATE_SHAPE = 2.0

#: Preferred property kind (city, resort, airport) by purpose.
KIND_MIX: tuple[tuple[float, float, float], ...] = (
    (0.62, 0.08, 0.30),
    (0.45, 0.52, 0.03),
    (0.25, 0.73, 0.02),
    (0.55, 0.43, 0.02),
)
#: Probability a trip goes to the guest's preferred kind (else drawn from the purpose mix).
KIND_LOYALTY = 0.75

#: Channel mix by purpose, in the order of seeds/channels.csv
#: (direct_web, direct_app, direct_phone, ota, gds, corporate, group).
CHANNEL_MIX: tuple[tuple[float, ...], ...] = (
    (0.12, 0.06, 0.04, 0.18, 0.20, 0.40, 0.00),
    (0.28, 0.07, 0.05, 0.58, 0.01, 0.00, 0.01),
    (0.30, 0.06, 0.08, 0.54, 0.00, 0.00, 0.02),
    (0.06, 0.00, 0.04, 0.18, 0.00, 0.00, 0.72),
)
#: Probability a trip uses the guest's preferred channel.
CHANNEL_LOYALTY = 0.70

#: Cancellation probability by channel, multiplied by property kind and rate plan factors.
CANCEL_BY_CHANNEL: dict[str, float] = {
    "direct_web": 0.19,
    "direct_app": 0.15,
    "direct_phone": 0.17,
    "ota": 0.42,
    "gds": 0.24,
    "corporate": 0.20,
    "group": 0.40,
}
CANCEL_BY_KIND: tuple[float, ...] = (1.42, 0.86, 0.95)
CANCEL_NON_REFUNDABLE = 0.25
NO_SHOW_PROBABILITY = 0.012

#: Median lead time in days by channel (log-normal, sigma below); cancelled bookings were
#: made further ahead (x CANCELLED_LEAD_FACTOR).
LEAD_MEDIAN: dict[str, float] = {
    "direct_web": 18.0,
    "direct_app": 12.0,
    "direct_phone": 20.0,
    "ota": 55.0,
    "gds": 9.0,
    "corporate": 7.0,
    "group": 150.0,
}
LEAD_SIGMA = 0.85
CANCELLED_LEAD_FACTOR = 1.4

#: Dropout: yearly hazard of starting to disengage, before experience and loyalty effects.
BASE_HAZARD_PER_YEAR = 0.30
HAZARD_SPREAD = 0.45  # sigma of a log-normal guest factor
ENGAGEMENT_HAZARD = 2.0  # hazard x exp(-ENGAGEMENT_HAZARD * (engagement - 0.4))
MEMBER_HAZARD = 0.80
TIER_HAZARD: tuple[float, ...] = (1.0, 0.80, 0.62, 0.48)  # member, silver, gold, platinum
#: Experience memory: badness = BADNESS_DECAY * badness + new bad experience; hazard x
#: exp(BADNESS_HAZARD * badness).
BADNESS_DECAY = 0.5
BADNESS_HAZARD = 0.9
#: Mean days a disengaging guest keeps some activity before dropping out for good, and how
#: much their trip rate falls meanwhile.
DISENGAGE_DAYS = 120.0
DISENGAGED_TRIP_FACTOR = 0.3

#: Service failures per stay by property kind; share complained about; share resolved.
SERVICE_FAILURE: tuple[float, ...] = (0.075, 0.060, 0.090)
COMPLAINT_PROBABILITY = 0.70
RESOLVED_PROBABILITY = 0.50
RESOLVED_PROBABILITY_MEMBER = 0.70

#: Engagement while active = 1; fades to ENGAGEMENT_FLOOR over the disengaging phase.
ENGAGEMENT_FLOOR = 0.12
NEWSLETTER_TARGETING = 0.5  # share of opted-in guests a monthly newsletter goes to
OPEN_BASE = 0.04
OPEN_BY_ENGAGEMENT = 0.62
CLICK_GIVEN_OPEN = 0.13
UNSUBSCRIBE_PER_SEND = 0.003
APP_SESSIONS_PER_YEAR = 10.0  # x engagement, app users only
WEB_SESSIONS_PER_YEAR = 3.0  # x engagement
