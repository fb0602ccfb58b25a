"""Next best action rules for one guest: keys, channels, price multiplier (same as the SQL)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from guestloyalty.serving.nba import choose_channel, matches_key, price_multiplier

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("*", "anything", True),
        ("HIGH|CRITICAL", "HIGH", True),
        ("HIGH|CRITICAL", "LOW", False),
        ("group / event", "group / event", True),
        ("luxury seeker", "luxury", False),
        ("PLATINUM", None, False),
    ],
)
def test_playbook_keys(key, value, expected):
    assert matches_key(key, value) is expected


ALL = {"email": True, "sms": True, "push": True}
NONE = {"email": False, "sms": False, "push": False}


@pytest.mark.parametrize(
    ("preference", "allowed", "responsive", "stage", "expected"),
    [
        ("most_responsive", ALL, "sms", "post_stay", "sms"),
        ("most_responsive", {**NONE, "email": True}, "email", "dormant", "email"),
        ("email|push|sms", {**NONE, "sms": True}, "sms", "post_stay", "sms"),
        ("email|push", {**NONE, "sms": True}, "sms", "post_stay", "none"),
        ("most_responsive", NONE, None, "pre_arrival", "front_desk"),
        ("most_responsive", NONE, None, "dormant", "none"),
        ("front_desk", NONE, None, "in_stay", "front_desk"),
        ("none", ALL, "email", "post_stay", "none"),
    ],
)
def test_channel_never_needs_permission_it_lacks(preference, allowed, responsive, stage, expected):
    assert (
        choose_channel(preference, allowed=allowed, most_responsive=responsive, journey_stage=stage)
        == expected
    )


def _macro(pct: str, p: str) -> str:
    """The dbt macro ``price_multiplier`` itself, rendered over two column names."""
    import jinja2

    source = (ROOT / "dbt_project" / "macros" / "playbook.sql").read_text()
    return str(jinja2.Environment().from_string(source).module.price_multiplier(pct, p))


def _in_duckdb(pairs: list[tuple[float, float]]) -> list[float]:
    sql = (
        f"select {_macro('pct', 'p')} from "
        "(select unnest($pcts) as pct, unnest($ps) as p, generate_subscripts($pcts, 1) as i) "
        "order by i"
    )
    params = {"pcts": [pct for pct, _ in pairs], "ps": [p for _, p in pairs]}
    with duckdb.connect() as con:
        return [row[0] for row in con.sql(sql, params=params).fetchall()]


def _half_cent_inputs() -> list[tuple[float, float]]:
    """(clv_percentile, churn_probability) pairs whose raw multiplier lands on a half cent.

    Every half cent from 0.695 to 1.305, reached through the percentile (churn below 0.4)
    and through the churn probability (percentile 0.5), each with its two neighbouring
    doubles, plus a grid and the clipping ends.
    """
    pairs: list[tuple[float, float]] = []
    for half_cents in range(139, 262):
        target = half_cents / 200
        pct = 0.5 + (target - 1.0) / 0.3
        if 0.0 <= pct <= 1.0:
            pairs += [(math.nextafter(pct, -1), 0.2), (pct, 0.2), (math.nextafter(pct, 2), 0.2)]
        p = 0.4 + (1.0 - target) / 0.5
        if 0.4 <= p <= 1.0:
            pairs += [(0.5, math.nextafter(p, -1)), (0.5, p), (0.5, math.nextafter(p, 2))]
    pairs += [(pct / 100, p / 100) for pct in range(0, 101, 3) for p in range(0, 101, 7)]
    return pairs


def test_price_multiplier_matches_the_dbt_macro_on_half_cents():
    inputs = _half_cent_inputs()
    assert len(inputs) > 700
    for (pct, p), in_sql in zip(inputs, _in_duckdb(inputs), strict=True):
        assert price_multiplier(pct, p) == in_sql, (pct, p)
        assert 0.7 <= in_sql <= 1.3


@pytest.mark.parametrize(
    ("pct", "p", "expected"),
    [
        (0.5, 0.71, 0.85),  # raw 0.845: half a cent rounds up (DuckDB 2.0.1 round() gives 0.84)
        (0.65, 0.0, 1.05),  # raw 1.045
        (0.15, 0.0, 0.90),  # raw 0.895
        (1.0, 0.0, 1.15),
        (0.0, 1.0, 0.70),  # clipped
    ],
)
def test_price_multiplier_rounds_half_a_cent_up(pct, p, expected):
    assert price_multiplier(pct, p) == expected
    assert _in_duckdb([(pct, p)]) == [expected]
