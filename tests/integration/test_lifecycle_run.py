"""Lifecycle stages on a whole run: stages, the at-risk list and what changed, in words."""

from __future__ import annotations

import duckdb
import pytest

from guestloyalty.operations.status import collect_status, format_status, insight_lines

pytestmark = pytest.mark.integration

STAGES = {"new", "active", "slipping", "lapsed", "lost", "reactivated"}


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    yield con
    con.close()


def test_every_scored_guest_has_one_of_the_stages_and_prospects_have_no_stay(gold):
    stages = {
        row[0] for row in gold.sql("select distinct lifecycle_stage from guest_scores").fetchall()
    }
    assert stages <= STAGES and {"new", "lost"} <= stages
    bad = gold.sql(
        "select count(*) from guest_360 "
        "where (lifecycle_stage = 'prospect') <> (lifetime_stays = 0)"
    ).fetchall()[0][0]
    assert bad == 0


def test_run_insights_count_every_scored_guest_once(gold):
    counted, scored = gold.sql(
        "select (select sum(insight_value) from run_insights where insight_kind = 'stage_count'), "
        "(select count(*) from guest_scores)"
    ).fetchall()[0]
    assert counted == scored


def test_status_and_the_summary_say_only_what_run_insights_holds(small_run, gold):
    sentences = {row[0] for row in gold.sql("select sentence from run_insights").fetchall()}
    status = collect_status(small_run.layout)
    lines = insight_lines(status.insights)
    assert lines and lines[0][0] == "stages"
    for label, text in lines:
        if label == "changed" or (label == "" and not text.startswith("...")):
            assert text in sentences or text.startswith("no stage moves")
    assert any(line.startswith("stages") for line in format_status(status))


def test_no_reason_reads_like_the_typical_guest_in_batch_or_live(small_run, gold):
    from guestloyalty.models.phrases import same_as_typical
    from guestloyalty.serving.guest import score_one_guest

    rows = gold.sql(
        "select feature, guest_value, typical_value from guest_score_explanations"
    ).fetchall()
    assert rows
    assert not [row for row in rows if same_as_typical(*row)]
    guests = [row[0] for row in gold.sql("select guest_id from guest_scores limit 15").fetchall()]
    for guest_id in guests:
        score = score_one_guest(small_run.layout, small_run.settings, guest_id)
        assert score.lifecycle_stage is not None
        for reason in score.reasons:
            assert not same_as_typical(reason.feature, reason.value, reason.typical), reason
            assert "typical guest" in reason.text
