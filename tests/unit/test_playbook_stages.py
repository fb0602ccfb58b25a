"""The seed playbook by lifecycle stage: nothing paid for lost guests, a second stay for new."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest

from guestloyalty.serving.nba import live_action

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TIERS = ("PLATINUM", "GOLD", "SILVER", "BRONZE")
SEGMENTS = ("luxury seeker", "deal seeker", "business regular", "family vacationer", "other")
RISKS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


@pytest.fixture(scope="module")
def gold():
    con = duckdb.connect()
    for name in ("nba_playbook", "offer_catalog"):
        con.execute(
            f"create table {name} as select * from read_csv('{SEEDS / name}.csv', header = true)"
        )
    con.execute("create table guest_scores as select range * 10.0 as clv_horizon from range(10)")
    con.execute(
        "create table guest_contact_profile (guest_id varchar, journey_stage varchar, "
        "may_email boolean, may_sms boolean, may_push boolean, may_contact boolean, "
        "most_responsive_channel varchar)"
    )
    yield con
    con.close()


def _actions(con, lifecycle_stage: str):  # noqa: ANN001, ANN202
    for journey, tier, segment, risk in itertools.product(
        ("post_stay", "dormant"), TIERS, SEGMENTS, RISKS
    ):
        con.execute("delete from guest_contact_profile")
        con.execute(
            "insert into guest_contact_profile values ('G1', ?, true, true, true, true, 'email')",
            [journey],
        )
        action = live_action(
            con,
            "G1",
            segment=segment,
            churn_risk=risk,
            lifecycle_stage=lifecycle_stage,
            churn_probability=0.5,
            clv_tier=tier,
            clv_horizon=50.0,
        )
        assert action is not None
        yield action


def test_lost_guests_get_no_paid_offer_by_default(gold):
    actions = list(_actions(gold, "lost"))
    assert actions
    assert not any(action.is_paid for action in actions)
    assert {action.channel for action in actions} == {"none"}


def test_new_guests_get_the_second_stay_action(gold):
    offers = {action.offer_id for action in _actions(gold, "new")}
    assert offers == {"second_stay_bonus"}


@pytest.mark.parametrize(
    ("stage", "offers"),
    [
        ("lapsed", {"winback_rate", "bonus_points"}),
        ("slipping", {"room_upgrade", "bonus_points", "flexible_cancellation", "fnb_credit"}),
    ],
)
def test_win_back_for_lapsed_and_retention_for_slipping(gold, stage, offers):
    assert {action.offer_id for action in _actions(gold, stage)} <= offers


def test_every_paid_flag_is_set_and_free_offers_cost_nothing(gold):
    rows = gold.sql("select offer_id, is_paid, base_value from offer_catalog").fetchall()
    assert all(is_paid is not None for _, is_paid, _ in rows)
    assert all(value == 0 for _, is_paid, value in rows if not is_paid)
