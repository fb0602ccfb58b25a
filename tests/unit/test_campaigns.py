"""Campaigns: seeded holdouts, consent, the contact list, and the what-if arithmetic."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pytest

from guestloyalty.campaigns.assignment import assign_groups
from guestloyalty.campaigns.create import CampaignError, create_campaign
from guestloyalty.campaigns.whatif import simulate
from guestloyalty.contracts import CampaignMember
from guestloyalty.warehouse import Layout

IDS = [f"G{i:05d}" for i in range(1, 2_001)]


def test_holdout_is_reproducible_and_independent_of_list_order():
    first = assign_groups(IDS, campaign_id="SPRING", holdout=0.2, seed=7)
    again = assign_groups(IDS, campaign_id="SPRING", holdout=0.2, seed=7)
    shuffled = list(np.random.default_rng(0).permutation(IDS))
    by_guest = dict(zip(IDS, first, strict=True))
    reordered = assign_groups(shuffled, campaign_id="SPRING", holdout=0.2, seed=7)
    assert (first == again).all()
    assert all(by_guest[g] == t for g, t in zip(shuffled, reordered, strict=True))
    assert (~first).sum() == 400  # exactly round(0.2 x 2000) held out


def test_holdout_changes_with_seed_and_campaign():
    base = assign_groups(IDS, campaign_id="SPRING", holdout=0.5, seed=1)
    assert (base != assign_groups(IDS, campaign_id="SPRING", holdout=0.5, seed=2)).any()
    assert (base != assign_groups(IDS, campaign_id="AUTUMN", holdout=0.5, seed=1)).any()
    assert assign_groups(IDS, campaign_id="X", holdout=0.0).all()


def _gold(data_dir: Path) -> Layout:
    """A published gold holding the tables campaign create reads: 300 guests, every third
    without marketing consent (may_contact false, or no marketing channel)."""
    layout = Layout(data_dir)
    layout.gold_path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(300):
        consent = i % 3 != 0
        channel = ("email", "sms", "push")[i % 3] if consent else ("none", "front_desk")[i % 2]
        rows.append((f"G{i:05d}", i + 1, consent, channel, "bonus_points", 1 - i / 300, 900 - i))
    with duckdb.connect(str(layout.gold_path)) as con:
        con.execute(
            "create table at_risk_guests (guest_id varchar, at_risk_rank integer, may_contact "
            "boolean, channel varchar, offer_id varchar, churn_probability double, clv_horizon "
            "double)"
        )
        con.executemany("insert into at_risk_guests values (?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(
            "create table next_best_action as select guest_id, may_contact, channel, offer_id, "
            "churn_probability, clv_horizon from at_risk_guests"
        )
        con.execute("create table offer_catalog as select 'bonus_points' as offer_id")
        con.execute("create table run_context as select date '2025-12-30' as as_of_date")
    return layout


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_create_respects_consent_and_keeps_control_out_of_the_contact_list(tmp_path):
    layout = _gold(tmp_path)
    result = create_campaign(layout, "WINBACK-1", source="at_risk_guests", holdout=0.25, seed=3)
    members = _read(result.members_path)
    contacts = _read(result.contacts_path)
    assert list(members[0]) == CampaignMember.columns()
    # consent: the 100 guests without it are in neither file
    member_ids = {m["guest_id"] for m in members}
    assert len(member_ids) == 200 and result.not_contactable == 100
    assert all(int(g[1:]) % 3 != 0 for g in member_ids)
    # a control guest never appears in the campaign's contact list
    control = {m["guest_id"] for m in members if m["assigned_group"] == "control"}
    treated = {m["guest_id"] for m in members if m["assigned_group"] == "treatment"}
    assert len(control) == 50 == result.control
    assert {c["guest_id"] for c in contacts} == treated
    assert not control & {c["guest_id"] for c in contacts}
    assert {c["channel"] for c in contacts} <= {"email", "sms", "push"}
    assert {m["assigned_at"] for m in members} == {"2025-12-31 00:00:00"}
    assert {m["selected_from"] for m in members} == {"at_risk_guests (targeting: risk)"}


def test_create_is_reproducible_across_data_dirs(tmp_path):
    groups = []
    for name in ("a", "b"):
        layout = _gold(tmp_path / name)
        result = create_campaign(layout, "SPRING", source="next_best_action", holdout=0.3, seed=9)
        groups.append({(m["guest_id"], m["assigned_group"]) for m in _read(result.members_path)})
    assert groups[0] == groups[1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"source": "everyone"}, "unknown list"),
        ({"source": "at_risk_guests", "offer_id": "free_car"}, "offer_catalog"),
        ({"source": "at_risk_guests", "targeting": "vibes"}, "--target"),
    ],
)
def test_create_explains_what_it_cannot_do(tmp_path, kwargs, match):
    layout = _gold(tmp_path)
    with pytest.raises(CampaignError, match=match):
        create_campaign(layout, "BAD", **kwargs)
    assert not layout.landing_entity_dir("campaign_members").exists() or not any(
        layout.landing_entity_dir("campaign_members").iterdir()
    )


def test_create_refuses_a_name_taken_or_unsafe(tmp_path):
    layout = _gold(tmp_path)
    create_campaign(layout, "ONCE", source="at_risk_guests")
    with pytest.raises(CampaignError, match="exists already"):
        create_campaign(layout, "ONCE", source="at_risk_guests")
    with pytest.raises(CampaignError, match="campaign name"):
        create_campaign(layout, "../escape", source="at_risk_guests")


def test_what_if_targets_by_uplift_times_value_and_adds_up():
    uplift = np.array([0.5, 0.1, -0.2, 0.3, 0.0])
    value = np.array([100.0, 1000.0, 500.0, 100.0, 50.0])
    churn = np.array([0.1, 0.2, 0.9, 0.3, 0.8])
    clv = np.array([10.0, 900.0, 800.0, 20.0, 5.0])
    rows = {
        r.strategy: r
        for r in simulate(
            uplift=uplift, value=value, churn=churn, clv=clv, cost=5.0, budget=2, seed=0
        )
    }
    # uplift x value - cost: 45, 95, -105, 25, -5 -> guests 1 and 0
    assert rows["uplift_value"].incremental_stays == pytest.approx(0.6)
    assert rows["uplift_value"].incremental_revenue == pytest.approx(150.0)
    assert rows["uplift_value"].net_value == pytest.approx(140.0)
    # churn risk picks the sleeping dog (2) and the lost cause (4)
    assert rows["churn_risk"].incremental_stays == pytest.approx(-0.2)
    assert rows["value"].incremental_revenue == pytest.approx(0.1 * 1000 - 0.2 * 500)
    for row in rows.values():
        assert row.offers == 2 and row.offer_cost == 10.0
        assert row.incremental_stays_lower_95 <= row.incremental_stays
        assert row.incremental_stays <= row.incremental_stays_upper_95
