"""Next best action for one guest, live: the same rules as the ``next_best_action`` mart.

The mart (``dbt_project/models/marts/post_scoring/actions/``) decides for every guest after
the nightly scoring. ``score-guest`` scores a guest live, so it re-applies the same playbook
to the live scores here: the guest's journey stage and permitted channels come from
``guest_contact_profile`` (they do not depend on the scores), the lifecycle stage from last
night's ``guest_scores`` (it depends on the stay history, not on the live churn score), the
rule from the
``nba_playbook`` seed, the offer from ``offer_catalog``. An integration test checks that both
give the same action for every guest of a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le

if TYPE_CHECKING:
    import duckdb

MARKETING_CHANNELS = ("email", "sms", "push")


@dataclass(kw_only=True)
class NextAction:
    """The recommended next action, from the seed playbook (see ``next_best_action``)."""

    __pydantic_config__ = {"use_attribute_docstrings": True}

    journey_stage: str
    offer_id: str
    offer_name: str
    channel: str
    """email, sms, push, front_desk or none (no consent)."""
    timing: str
    price_multiplier: Annotated[float, Ge(0.7), Le(1.3)]
    may_contact: bool
    rule_id: str
    rationale: str
    is_paid: bool
    """Whether the offer costs the hotel anything."""


def price_multiplier(clv_percentile: float, churn_probability: float) -> float:
    """``1 + 0.3 (pct - 0.5) - 0.5 max(p - 0.4, 0)`` clipped to [0.7, 1.3], to cents.

    Valuable guests bear a little more; guests likely to churn get a better price. The dbt
    macro ``price_multiplier`` is the same formula in the same double operations, and both
    round to cents as ``floor(100 x + 0.5) / 100`` (half a cent up) rather than with an
    engine's ``round``: DuckDB 2.0.1 rounds the double nearest 0.845 down to 0.84, 2.0.0 and
    this formula up to 0.85. A unit test renders the macro and compares on half-cent
    boundaries.
    """
    raw = 1.0 + 0.3 * (clv_percentile - 0.5) - 0.5 * max(churn_probability - 0.4, 0.0)
    clipped = min(1.3, max(0.7, raw))
    return math.floor(clipped * 100 + 0.5) / 100


def matches_key(key: str, value: str | None) -> bool:
    """A playbook key (``*``, one value, or values joined by ``|``) covers ``value``."""
    return key == "*" or (value is not None and value in key.split("|"))


def choose_channel(
    preference: str,
    *,
    allowed: dict[str, bool],
    most_responsive: str | None,
    journey_stage: str,
) -> str:
    """The channel of an action; never a marketing channel the guest has not permitted."""
    if preference in ("front_desk", "none"):
        return preference
    if preference == "most_responsive" and most_responsive in MARKETING_CHANNELS:
        if allowed.get(most_responsive):
            return most_responsive
    listed = [part for part in preference.split("|") if part in MARKETING_CHANNELS]
    for channel in listed:
        if allowed.get(channel):
            return channel
    return "front_desk" if journey_stage in ("in_stay", "pre_arrival") else "none"


def live_action(
    con: duckdb.DuckDBPyConnection,
    guest_id: str,
    *,
    segment: str | None,
    churn_risk: str | None,
    lifecycle_stage: str | None,
    churn_probability: float | None,
    clv_tier: str | None,
    clv_horizon: float | None,
) -> NextAction | None:
    """The guest's next best action for these (live) scores; None without a contact profile.

    A guest with no stay yet has no scores (all None): only ``*`` keys match (the playbook's
    ``no_stay_yet`` rule), and the price is the median guest's at no risk, 1.00.
    """
    contact = con.sql(
        "select journey_stage, may_email, may_sms, may_push, may_contact, "
        "most_responsive_channel from guest_contact_profile where guest_id = ?",
        params=[guest_id],
    ).fetchall()
    if not contact:
        return None
    stage, may_email, may_sms, may_push, may_contact, most_responsive = contact[0]
    rules = con.sql(
        "select rule_id, journey_stage, lifecycle_stage, churn_risk, clv_tier, segment, "
        "offer_id, channel_preference, timing, rationale from nba_playbook order by priority"
    ).fetchall()
    rule = next(
        (
            row
            for row in rules
            if matches_key(row[1], stage)
            and matches_key(row[2], lifecycle_stage)
            and matches_key(row[3], churn_risk)
            and matches_key(row[4], clv_tier)
            and matches_key(row[5], segment)
        ),
        None,
    )
    if rule is None:
        return None
    rule_id, _, _, _, _, _, offer_id, preference, timing, rationale = rule
    offer = con.sql(
        "select offer_name, is_paid from offer_catalog where offer_id = ?", params=[offer_id]
    ).fetchall()
    if clv_horizon is None:
        percentile = 0.5
    else:
        below, total = con.sql(
            "select count(*) filter (where clv_horizon < ?), count(*) from guest_scores",
            params=[clv_horizon],
        ).fetchall()[0]
        percentile = below / (total - 1) if total > 1 else 0.0
    channel = choose_channel(
        preference,
        allowed={"email": bool(may_email), "sms": bool(may_sms), "push": bool(may_push)},
        most_responsive=most_responsive,
        journey_stage=stage,
    )
    return NextAction(
        journey_stage=stage,
        offer_id=offer_id,
        offer_name=offer[0][0] if offer else offer_id,
        channel=channel,
        timing=timing or "",
        price_multiplier=price_multiplier(percentile, churn_probability or 0.0),
        may_contact=bool(may_contact),
        rule_id=rule_id,
        rationale=rationale or "",
        is_paid=bool(offer[0][1]) if offer else False,
    )
