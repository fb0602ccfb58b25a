"""guest_recommendations in the session's small world: ranked lists that keep the rules
(consent for offers, no property with an unresolved complaint, upgrades only), shown by
score-guest, carried into pre_arrival_setup, and asked for by name."""

from __future__ import annotations

import duckdb
import pytest

from guestloyalty.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gold(small_run):
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        yield con


def test_ranks_are_one_to_n_without_gaps_and_scores_are_probabilities(gold):
    [(guests, bad_ranks, bad_scores, longest)] = gold.sql(
        """
        select
            count(distinct guest_id),
            count(*) filter (where rank <> position),
            count(*) filter (where score < 0 or score > 1),
            max(rank)
        from (
            select *, row_number() over (partition by guest_id order by rank) as position
            from guest_recommendations
        )
        """
    ).fetchall()
    assert guests > 0
    assert bad_ranks == 0
    assert bad_scores == 0
    assert longest <= 5


def test_every_guest_with_a_stay_gets_a_list_of_their_own(gold):
    [(scored, listed, strangers)] = gold.sql(
        """
        select
            (select count(*) from guest_scores),
            (select count(distinct guest_id) from guest_recommendations),
            (select count(distinct guest_id) from guest_recommendations
             where guest_id not in (select guest_id from guest_360))
        """
    ).fetchall()
    assert strangers == 0
    assert listed >= 0.9 * scored


def test_offers_only_go_to_guests_with_marketing_consent(gold):
    [(offers, without_consent)] = gold.sql(
        """
        select
            count(*),
            count(*) filter (where not coalesce(profile.has_marketing_consent, false))
        from guest_recommendations as recs
        left join guest_contact_profile as profile on recs.guest_id = profile.guest_id
        where recs.item_kind = 'offer'
        """
    ).fetchall()
    assert offers > 0
    assert without_consent == 0


def test_no_property_where_the_guest_has_an_unresolved_complaint(gold):
    [(clashes,)] = gold.sql(
        """
        select count(*)
        from guest_recommendations as recs
        inner join topic_mentions as mentions
            on recs.guest_id = mentions.guest_id and recs.item_id = mentions.property_id
        where recs.item_kind = 'property' and mentions.is_negative and not mentions.is_resolved
        """
    ).fetchall()
    assert clashes == 0


def test_room_types_are_upgrades_and_nothing_is_dated_after_as_of(gold):
    [(lowest, other_dates)] = gold.sql(
        """
        select
            count(*) filter (where recs.item_kind = 'room_type' and rooms.sort_order = 1),
            count(*) filter (where recs.as_of_date <> context.as_of_date)
        from guest_recommendations as recs
        cross join run_context as context
        left join room_types as rooms on recs.item_id = rooms.room_type
        """
    ).fetchall()
    assert lowest == 0
    assert other_dates == 0


def test_pre_arrival_upsells_never_offer_the_booked_room_or_a_smaller_one(gold):
    [(with_upsells, smaller)] = gold.sql(
        """
        select
            count(*) filter (where setup.recommended_upsells is not null),
            count(*) filter (
                where recs.item_kind = 'room_type'
                and offered.sort_order <= booked.sort_order
                and contains(setup.recommended_upsells, recs.item_name)
                and not exists (
                    select 1 from guest_recommendations as other
                    where other.guest_id = setup.guest_id
                    and other.item_kind <> 'room_type' and other.item_name = recs.item_name
                )
            )
        from pre_arrival_setup as setup
        left join guest_recommendations as recs on setup.guest_id = recs.guest_id
        left join room_types as booked on setup.room_type = booked.room_type
        left join room_types as offered on recs.item_id = offered.room_type
        """
    ).fetchall()
    assert with_upsells > 0
    assert smaller == 0


def test_score_guest_shows_the_top_three(small_run, gold):
    from typer.testing import CliRunner

    [(guest_id,)] = gold.sql(
        "select guest_id from guest_recommendations where rank = 3 order by guest_id limit 1"
    ).fetchall()
    stored = gold.execute(
        "select item_id from guest_recommendations where guest_id = ? order by rank limit 3",
        [guest_id],
    ).fetchall()
    data_dir = str(small_run.layout.data_dir)
    result = CliRunner().invoke(app, ["score-guest", guest_id, "--json", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    import json

    shown = json.loads(result.output)["recommendations"]
    assert [item["item_id"] for item in shown] == [row[0] for row in stored]
    card = CliRunner().invoke(app, ["score-guest", guest_id, "--data-dir", data_dir])
    assert "recommended" in card.output


def test_guests_to_offer_lists_only_that_item(small_run, gold):
    from typer.testing import CliRunner

    [(item_id,)] = gold.sql(
        "select item_id from guest_recommendations where item_kind = 'offer' "
        "group by 1 order by count(*) desc limit 1"
    ).fetchall()
    result = CliRunner().invoke(
        app,
        [
            "query",
            "run",
            "guests_to_offer",
            "-p",
            f"item_id={item_id}",
            "-p",
            "item_kind=offer",
            "--json",
            "--limit",
            "1000",
            "--data-dir",
            str(small_run.layout.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.output.splitlines()[0])
    assert rows and {(row["item_kind"], row["item_id"]) for row in rows} == {("offer", item_id)}
