"""Model inputs in words: how a reason reads, as a contrast with the typical guest.

"412 days since last stay, more than the typical guest's 180".

Plain Python (no numpy), so that ``score-guest`` renders reasons exactly as the batch
explanations (:mod:`guestloyalty.scoring.explain`) do without importing numpy.
"""

from __future__ import annotations

import math

#: How each feature reads in a sentence: (template for the value, unit kind).
#: ``{v}`` is the formatted value. Unknown features fall back to "<name>: <value>".
PHRASES: dict[str, tuple[str, str]] = {
    "stays_count": ("{v} stays so far", "count"),
    "lifetime_revenue": ("{v} spent so far", "money"),
    "avg_stay_revenue": ("{v} per stay", "money"),
    "avg_nights": ("{v} nights per stay", "decimal"),
    "ancillary_share": ("{v} of spend on F&B and spa", "share"),
    "days_since_last_stay": ("{v} days since last stay", "count"),
    "days_since_first_stay": ("{v} days since first stay", "count"),
    "mean_days_between_stays": ("{v} days between stays", "count"),
    "stays_last_365d": ("{v} stays in the last 12 months", "count"),
    "revenue_last_365d": ("{v} spent in the last 12 months", "money"),
    "properties_visited": ("{v} properties visited", "count"),
    "bookings_count": ("{v} bookings made", "count"),
    "cancellations_count": ("{v} cancellations", "count"),
    "avg_lead_days": ("booked {v} days ahead on average", "count"),
    "upcoming_bookings": ("{v} upcoming bookings", "count"),
    "email_sends_180d": ("{v} emails received in 6 months", "count"),
    "email_opens_180d": ("{v} emails opened in 6 months", "count"),
    "email_open_rate_180d": ("{v} email open rate (6 months)", "share"),
    "sessions_90d": ("{v} app/web sessions in 3 months", "count"),
    "days_since_last_engagement": ("{v} days since last email open or session", "count"),
    "is_loyalty_member": ("loyalty member: {v}", "flag"),
    "btyd_p_no_stay": ("{v} chance of no stay in the horizon (BG/NBD)", "share"),
    "btyd_expected_stays": ("{v} expected stays in the horizon (BG/NBD)", "decimal"),
    "btyd_expected_spend": ("{v} expected spend in the horizon (BG/NBD)", "money"),
    "btyd_p_alive": ("{v} chance still active (BG/NBD)", "share"),
}


def format_value(value: float, kind: str) -> str:
    """A feature value as people read it; missing values read "unknown"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if kind == "share":
        return f"{100 * value:.0f}%"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "flag":
        return "yes" if value >= 0.5 else "no"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


#: How a difference reads per unit kind: (more, less).
_COMPARE: dict[str, tuple[str, str]] = {
    "count": ("more", "fewer"),
    "money": ("more", "less"),
    "decimal": ("more", "less"),
    "share": ("higher", "lower"),
}


def kind_of(feature: str) -> str:
    """The unit kind of a feature (``decimal`` for features without a phrase)."""
    return PHRASES.get(feature, ("", "decimal"))[1]


def shown(value: float | None, kind: str) -> float | None:
    """The value as :func:`format_value` shows it, as a number (None: unknown).

    Two values that are shown alike are the same to a reader; a reason whose value is shown
    like the typical one explains nothing and is skipped.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "share":
        return float(round(100 * value))
    if kind == "money":
        return float(round(value))
    if kind == "decimal":
        return round(value, 1)
    if kind == "flag":
        return 1.0 if value >= 0.5 else 0.0
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return float(round(value))
    return round(value, 1)


def same_as_typical(feature: str, value: float | None, typical: float | None) -> bool:
    """Whether the guest's value reads the same as the typical guest's."""
    kind = kind_of(feature)
    return shown(value, kind) == shown(typical, kind)


def render(feature: str, value: float, typical: float) -> str:
    """The guest's value as a contrast with the typical guest's (the median one).

    ``"412 days since last stay, more than the typical guest's 180"``; a flag reads
    ``"loyalty member: no, unlike the typical guest"``; an unknown value
    ``"unknown days since last stay (typical guest: 180)"``.
    """
    template, kind = PHRASES.get(feature, (feature.replace("_", " ") + ": {v}", "decimal"))
    phrase = template.format(v=format_value(value, kind))
    mine, theirs = shown(value, kind), shown(typical, kind)
    if mine is None or theirs is None:
        return f"{phrase} (typical guest: {format_value(typical, kind)})"
    if kind == "flag":
        if mine == theirs:
            return f"{phrase}, like the typical guest"
        return f"{phrase}, unlike the typical guest"
    if mine == theirs:
        return f"{phrase}, like the typical guest"
    more, less = _COMPARE[kind]
    word = more if mine > theirs else less
    return f"{phrase}, {word} than the typical guest's {format_value(typical, kind)}"
