"""Next best action rules for one guest: keys, channels, price multiplier (same as the SQL)."""

from __future__ import annotations

import duckdb
import pytest

from guestloyalty.serving.nba import choose_channel, matches_key, price_multiplier


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


def test_price_multiplier_matches_the_dbt_macro():
    sql = (
        "select round(least(1.3, greatest(0.7, 1.0 + 0.3 * (? - 0.5) "
        "- 0.5 * greatest(? - 0.4, 0.0))), 2)"
    )
    with duckdb.connect() as con:
        for pct in (0.0, 0.13, 0.5, 0.77, 1.0):
            for p in (0.0, 0.35, 0.41, 0.6, 0.85, 1.0):
                expected = con.sql(sql, params=[pct, p]).fetchall()[0][0]
                assert price_multiplier(pct, p) == pytest.approx(float(expected), abs=1e-9)
                assert 0.7 <= price_multiplier(pct, p) <= 1.3
