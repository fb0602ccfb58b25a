"""Engagement events: email, SMS, push, app and web sessions, social mentions and shares.

How engaged a person is at time t is ``engagement x level(t)``: ``level`` is 1 while active,
fades linearly to ``ENGAGEMENT_FLOOR`` over the disengaging phase and stays there after the
dropout. Opens, clicks and sessions follow it, so they thin out *before* the last stay a
guest will ever make; unsubscribes rise as it falls. Sends go to everyone opted in whatever
their level: the hotel does not know.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from guestloyalty.contracts import EngagementEvent
from guestloyalty.synth import params as P
from guestloyalty.synth.guests import People
from guestloyalty.synth.stays import Fates

# The contract's allowed values, in its order (the generator encodes types by position).
EVENT_TYPES: tuple[str, ...] = EngagementEvent.allowed_values()["event_type"]
_CODE = {name: code for code, name in enumerate(EVENT_TYPES)}


def level(fates: Fates, who: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Engagement level 0..1 of person ``who`` at float day ``when``."""
    start = fates.disengaged_at[who]
    leaving = np.isfinite(start)
    start = np.where(leaving, start, 0.0)
    stop = np.where(leaving, fates.dropout_at[who], 1.0)
    span = np.maximum(stop - start, 1.0)
    progress = np.where(leaving, np.clip((when - start) / span, 0.0, 1.0), 0.0)
    return 1.0 - (1.0 - P.ENGAGEMENT_FLOOR) * progress


def _month_starts(first_day: float, end_day: int) -> np.ndarray:
    months = np.arange(
        np.datetime64(int(first_day), "D").astype("datetime64[M]"),
        np.datetime64(end_day, "D").astype("datetime64[M]") + 1,
    )
    return months.astype("datetime64[D]").astype(np.int64)


def build_events(
    rng: np.random.Generator,
    people: People,
    fates: Fates,
    *,
    created: np.ndarray,
    end_day: int,
    stay_person: np.ndarray,
    stay_checkout: np.ndarray,
    stay_arrival: np.ndarray,
    stay_nps: np.ndarray,
    stay_complained: np.ndarray,
    booking_person: np.ndarray,
    booking_time: np.ndarray,
    booking_channel: np.ndarray,
    web_channel: int,
    app_channel: int,
) -> dict[str, np.ndarray]:
    """Event arrays: person, time (float days), type code, campaign code (-1 none).

    Campaign codes: ``yyyymm * 10 + kind`` (kind 1 newsletter, 2 push, 3 post-stay survey,
    4 pre-arrival SMS); see :func:`campaign_ids`.
    """
    eng = people.engagement
    parts: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = []

    # Monthly newsletter to opted-in guests, with opens, clicks and unsubscribes.
    months = _month_starts(float(created.min()), end_day)
    send_day = months + 4  # the 5th of each month
    opted = np.flatnonzero(people.email_opt_in)
    first_month = np.searchsorted(send_day, created[opted] + 1)
    count = np.maximum(len(send_day) - first_month, 0)
    who = np.repeat(opted, count)
    offset = np.arange(who.size) - np.repeat(np.cumsum(count) - count, count)
    month_index = np.repeat(first_month, count) + offset
    when = send_day[month_index] + rng.uniform(0.35, 0.45, who.size)
    keep = (rng.random(who.size) < P.NEWSLETTER_TARGETING) & (when < end_day + 1)
    who, when, month_index = who[keep], when[keep], month_index[keep]
    lvl = level(fates, who, when)
    unsub = rng.random(who.size) < P.UNSUBSCRIBE_PER_SEND * (1 + 4 * (1 - lvl))
    alive = _until_first(who, unsub)
    who, when, month_index, lvl, unsub = (
        who[alive],
        when[alive],
        month_index[alive],
        lvl[alive],
        unsub[alive],
    )
    yyyymm = _yyyymm(send_day[month_index])
    campaign = yyyymm * 10 + 1
    p_open = P.OPEN_BASE + P.OPEN_BY_ENGAGEMENT * eng[who] * lvl
    opened = rng.random(who.size) < p_open
    clicked = opened & (rng.random(who.size) < P.CLICK_GIVEN_OPEN * (0.5 + eng[who]))
    open_delay = rng.exponential(1.2, who.size)
    parts.append((who, when, _CODE["email_send"], campaign))
    parts.append(
        (who[opened], when[opened] + open_delay[opened], _CODE["email_open"], campaign[opened])
    )
    parts.append(
        (
            who[clicked],
            when[clicked] + open_delay[clicked] + 0.01,
            _CODE["email_click"],
            campaign[clicked],
        )
    )
    parts.append(
        (
            who[unsub],
            when[unsub] + open_delay[unsub] + 0.02,
            _CODE["email_unsubscribe"],
            campaign[unsub],
        )
    )
    unsubscribed_at = np.full(len(people), np.inf)
    unsubscribed_at[who[unsub]] = when[unsub]

    # Post-stay survey email to every guest with an email on file.
    who = stay_person
    when = stay_checkout + rng.uniform(0.4, 0.6, who.size)
    opted_stay = people.email_opt_in[who] & (when < unsubscribed_at[who])
    who, when = who[opted_stay], when[opted_stay]
    campaign = _yyyymm(np.floor(when).astype(np.int64)) * 10 + 3
    lvl = level(fates, who, when)
    opened = rng.random(who.size) < np.minimum(
        1.0, 1.3 * (P.OPEN_BASE + P.OPEN_BY_ENGAGEMENT * eng[who] * lvl)
    )
    parts.append((who, when, _CODE["email_send"], campaign))
    parts.append(
        (
            who[opened],
            when[opened] + rng.exponential(0.8, opened.sum()),
            _CODE["email_open"],
            campaign[opened],
        )
    )

    # Pre-arrival SMS and its click.
    sms = people.sms_opt_in[stay_person]
    who = stay_person[sms]
    when = stay_arrival[sms] - 2 + rng.uniform(0.4, 0.5, who.size)
    campaign = _yyyymm(np.floor(when).astype(np.int64)) * 10 + 4
    click = rng.random(who.size) < 0.08 + 0.3 * eng[who] * level(fates, who, when)
    parts.append((who, when, _CODE["sms_send"], campaign))
    parts.append((who[click], when[click] + 0.05, _CODE["sms_click"], campaign[click]))

    # Quarterly push to app users.
    app = np.flatnonzero(people.app_user)
    quarters = send_day[::3] + 10
    first_q = np.searchsorted(quarters, created[app] + 1)
    count = np.maximum(len(quarters) - first_q, 0)
    who = np.repeat(app, count)
    offset = np.arange(who.size) - np.repeat(np.cumsum(count) - count, count)
    when = quarters[np.repeat(first_q, count) + offset] + 0.6
    campaign = _yyyymm(np.floor(when).astype(np.int64)) * 10 + 2
    opened = rng.random(who.size) < 0.05 + 0.45 * eng[who] * level(fates, who, when)
    parts.append((who, when, _CODE["push_send"], campaign))
    parts.append((who[opened], when[opened] + 0.1, _CODE["push_open"], campaign[opened]))

    # App and web sessions: a Poisson process thinned by the engagement level, plus a
    # session whenever a booking is made in that channel.
    for code, rate, eligible in (
        (_CODE["app_session"], P.APP_SESSIONS_PER_YEAR, people.app_user),
        (_CODE["web_session"], P.WEB_SESSIONS_PER_YEAR, np.ones(len(people), dtype=bool)),
    ):
        idx = np.flatnonzero(eligible)
        span = np.maximum(end_day + 1 - created[idx], 0)
        count = rng.poisson(rate * eng[idx] * span / 365.25)
        who = np.repeat(idx, count)
        when = np.repeat(created[idx], count) + rng.random(who.size) * np.repeat(span, count)
        keep = rng.random(who.size) < level(fates, who, when)
        parts.append((who[keep], when[keep], code, np.full(keep.sum(), -1)))
    for code, channel_code in (
        (_CODE["app_session"], app_channel),
        (_CODE["web_session"], web_channel),
    ):
        sel = booking_channel == channel_code
        parts.append((booking_person[sel], booking_time[sel] - 0.002, code, np.full(sel.sum(), -1)))

    # Social: shares after great stays, mentions after complaints.
    share = rng.random(stay_person.size) < (0.01 + 0.10 * eng[stay_person]) * (stay_nps >= 9)
    mention = rng.random(stay_person.size) < 0.004 + 0.12 * stay_complained
    for code, sel in ((_CODE["social_share"], share), (_CODE["social_mention"], mention)):
        parts.append(
            (
                stay_person[sel],
                stay_checkout[sel] + rng.uniform(0.0, 3.0, sel.sum()),
                code,
                np.full(sel.sum(), -1),
            )
        )

    person = np.concatenate([p[0] for p in parts])
    when = np.concatenate([p[1] for p in parts])
    code = np.concatenate([np.full(p[0].size, p[2], dtype=np.int8) for p in parts])
    campaign = np.concatenate([p[3] for p in parts]).astype(np.int64)
    keep = (when < end_day + 1) & (when >= created[person])
    return {
        "person": person[keep],
        "time": when[keep],
        "type": code[keep],
        "campaign": campaign[keep],
    }


def _until_first(group: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Rows of each (contiguous) group up to and including its first flagged row."""
    if group.size == 0:
        return np.ones(0, dtype=bool)
    new = np.r_[True, group[1:] != group[:-1]]
    csum = np.cumsum(flag)
    starts = np.flatnonzero(new)
    index = np.cumsum(new) - 1
    before = csum - flag - (csum[starts] - flag[starts])[index]
    return before == 0


def _yyyymm(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (months // 12 + 1970) * 100 + months % 12 + 1


def campaign_ids(code: pl.Expr) -> pl.Expr:
    """Campaign code -> ``NL-202401`` / ``PUSH-…`` / ``SURVEY-…`` / ``SMS-…`` / ``RET-…``
    (a retention wave, :mod:`guestloyalty.synth.campaigns`; null for -1)."""
    kind = code % 10
    month = (code // 10).cast(pl.Utf8)
    return (
        pl.when(code < 0)
        .then(None)
        .when(kind == 1)
        .then("NL-" + month)
        .when(kind == 2)
        .then("PUSH-" + month)
        .when(kind == 3)
        .then("SURVEY-" + month)
        .when(kind == 5)
        .then("RET-" + month)
        .otherwise("SMS-" + month)
    )
