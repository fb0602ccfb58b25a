"""The campaign loop on the small world: measured lift, attribution, and a new campaign."""

from __future__ import annotations

import csv
import shutil

import duckdb
import pytest

from guestloyalty.campaigns.create import create_campaign
from guestloyalty.ingest import ingest_paths
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration


def _gold(small_run, sql: str) -> list[tuple]:
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_synthetic_campaign_is_measured_against_its_holdout(small_run):
    rows = _gold(
        small_run,
        "select campaign_id, count(*), count(lift), min(guests), "
        "bool_and(lift is null or lift_lower_95 <= lift and lift <= lift_upper_95), "
        "bool_and(significance is null or significance in ('significant', 'not significant')) "
        "from campaign_results group by campaign_id",
    )
    assert len(rows) >= 6
    for campaign, groups, lifts, guests, inside, labelled in rows:
        assert (groups, lifts) == (2, 1), campaign  # treatment + control; lift on one row
        assert guests > 0 and inside and labelled, campaign
    [(members, outcomes)] = _gold(
        small_run,
        "select (select count(*) from campaign_member_outcomes), "
        "(select sum(guests) from campaign_results)",
    )
    assert members == outcomes


def test_control_guests_get_no_campaign_events(small_run):
    [(leaks,)] = _gold(
        small_run,
        "select count(*) from campaign_member_outcomes where not is_treatment and has_responded",
    )
    assert leaks == 0


def test_attributed_revenue_sums_to_the_revenue_attributed(small_run):
    rows = _gold(
        small_run,
        """
        with stays as (
            select distinct attribution_model, stay_id, stay_revenue from campaign_attribution
        )
        select attribution.attribution_model, sum(attribution.attributed_revenue),
            (select sum(stay_revenue) from stays
             where stays.attribution_model = attribution.attribution_model),
            max(attribution.weight), min(attribution.weight)
        from campaign_attribution as attribution
        group by attribution.attribution_model
        """,
    )
    assert {row[0] for row in rows} == {"last_touch", "first_touch", "linear", "time_decay"}
    totals = {round(row[2], 2) for row in rows}
    assert len(totals) == 1  # every model credits the same stays
    for _, attributed, revenue, top, bottom in rows:
        assert attributed == pytest.approx(revenue, abs=0.01)
        assert 0 < bottom <= top <= 1


def test_a_new_campaign_lands_as_members_and_never_lists_a_control_guest(small_run, tmp_path):
    layout = Layout(tmp_path / "data")
    layout.gold_path.parent.mkdir(parents=True)
    shutil.copy(small_run.layout.gold_path, layout.gold_path)
    result = create_campaign(layout, "TEST-1", source="next_best_action", holdout=0.3, seed=2)
    with result.members_path.open(newline="") as handle:
        members = list(csv.DictReader(handle))
    with result.contacts_path.open(newline="") as handle:
        contacts = {row["guest_id"] for row in csv.DictReader(handle)}
    control = {m["guest_id"] for m in members if m["assigned_group"] == "control"}
    assert control and contacts and not control & contacts
    allowed = {
        row[0]
        for row in _gold(
            small_run,
            "select guest_id from next_best_action where may_contact "
            "and channel in ('email', 'sms', 'push')",
        )
    }
    assert {m["guest_id"] for m in members} <= allowed
    # the members file is a campaign_members export: it loads into bronze as it is
    [loaded] = ingest_paths(layout, [result.members_path])
    assert loaded.error is None and loaded.rows == len(members)


def test_uplift_targeting_says_what_it_used(small_run, tmp_path):
    layout = Layout(tmp_path / "data")
    layout.gold_path.parent.mkdir(parents=True)
    shutil.copy(small_run.layout.gold_path, layout.gold_path)
    result = create_campaign(
        layout, "UPLIFT-1", source="next_best_action", targeting="uplift", budget=100, seed=1
    )
    assert result.treatment + result.control <= 100
    assert any("expected incremental value minus cost" in note for note in result.notes)
    with result.members_path.open(newline="") as handle:
        assert {m["selected_from"] for m in csv.DictReader(handle)} == {
            "next_best_action (targeting: uplift)"
        }


def test_next_best_action_targets_by_uplift_when_asked(small_run, tmp_path):
    """nba_targeting uplift: the same actions, ranked by expected incremental value minus
    cost among the guests we may contact on a marketing channel, and it says so."""
    from guestloyalty.operations.pipeline import stage_post_scoring

    layout = Layout(tmp_path / "data")
    shutil.copytree(
        small_run.layout.data_dir,
        layout.data_dir,
        ignore=shutil.ignore_patterns(".pipeline.lock", "logs", "landing", "exports"),
    )
    layout.build_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(small_run.layout.gold_path, layout.gold_build_path)
    settings = small_run.settings.model_copy(
        update={"data_dir": layout.data_dir, "nba_targeting": "uplift", "nba_offer_cost": 2.0}
    )
    details = stage_post_scoring(layout, settings)
    assert details["nba_targeting"]["targeting"] == "uplift"
    columns = "guest_id, rule_id, offer_id, channel"
    risk = set(_gold(small_run, f"select {columns} from next_best_action"))
    with duckdb.connect(str(layout.gold_build_path), read_only=True) as con:
        assert set(con.execute(f"select {columns} from next_best_action").fetchall()) == risk
        ranked = con.execute(
            "select targeting, expected_net_value, target_rank, may_contact, channel "
            "from next_best_action where target_rank is not null order by target_rank"
        ).fetchall()
        costs = con.execute("select distinct offer_cost from guest_uplift").fetchall()
    assert ranked and {row[0] for row in ranked} == {"uplift"}
    assert all(row[3] and row[4] in ("email", "sms", "push") for row in ranked)
    values = [row[1] for row in ranked]
    assert values == sorted(values, reverse=True)
    assert [row[2] for row in ranked] == list(range(1, len(ranked) + 1))
    assert costs == [(2.0,)]
    # by default the run targets by risk: churn probability first
    by_risk = _gold(
        small_run,
        "select targeting, churn_probability from next_best_action "
        "where target_rank is not null order by target_rank",
    )
    assert {row[0] for row in by_risk} == {"risk"}
    assert [row[1] for row in by_risk] == sorted((row[1] for row in by_risk), reverse=True)
