"""score-guest on the session's small world: same numbers as the batch, fast path, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.serving.guest import SCHEMA_VERSION, GuestScore, score_one_guest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scored(small_run):
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        return con.sql(
            "select guest_id, churn_probability, churn_risk, clv_horizon, segment "
            "from guest_scores order by clv_horizon desc, guest_id limit 25"
        ).fetchall()


def test_live_score_matches_the_batch_scores(small_run, scored):
    for guest_id, probability, risk, clv, segment in scored:
        live = score_one_guest(small_run.layout, small_run.settings, guest_id)
        assert live.guest_id == guest_id
        assert live.churn_probability == pytest.approx(probability, abs=1e-5)
        assert live.churn_risk == risk
        assert live.clv_horizon == pytest.approx(clv, rel=1e-4, abs=0.01)
        assert live.segment == segment
        assert 1 <= len(live.reasons) <= 3
        assert all(reason.text for reason in live.reasons)


def test_cli_prints_a_card(small_run, scored):
    guest_id = scored[0][0]
    result = CliRunner().invoke(
        app, ["score-guest", guest_id, "--data-dir", str(small_run.layout.data_dir)]
    )
    assert result.exit_code == 0, result.output
    for label in ("stage", "churn", "CLV", "segment", "reasons", "next action"):
        assert label in result.output


def test_cli_json_follows_the_versioned_schema(small_run, scored):
    guest_id = scored[0][0]
    result = CliRunner().invoke(
        app, ["score-guest", guest_id, "--json", "--data-dir", str(small_run.layout.data_dir)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["schema_version"] == SCHEMA_VERSION
    parsed = GuestScore.model_validate(document)
    assert parsed.guest_id == guest_id
    assert set(document) == set(GuestScore.model_fields)


@pytest.mark.parametrize("unknown", ["G9999999", "' or 1=1 --", ""])
def test_unknown_id_is_one_line_and_exit_1(small_run, unknown):
    result = CliRunner().invoke(
        app, ["score-guest", unknown, "--data-dir", str(small_run.layout.data_dir)]
    )
    assert result.exit_code == 1
    assert "no guest with id" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_single_guest_path_imports_no_heavy_library(small_run, scored):
    code = (
        "import sys; from pathlib import Path; from guestloyalty.config import Settings; "
        "from guestloyalty.serving.guest import score_one_guest; "
        "from guestloyalty.warehouse import Layout; "
        f"d = Path({str(small_run.layout.data_dir)!r}); "
        f"score_one_guest(Layout(d), Settings(data_dir=d), {scored[0][0]!r}); "
        "print(','.join(m for m in ('xgboost', 'sklearn', 'scipy', 'dbt', 'pyarrow', 'polars') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.fixture(scope="module")
def unscored(small_run):
    """A guest of gold without a stay before as_of (a profile or a sign-up only)."""
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        rows = con.sql(
            "select guest_id, has_marketing_consent from guest_360 "
            "where guest_id not in (select guest_id from guest_scores) "
            "order by has_marketing_consent desc nulls last, guest_id limit 1"
        ).fetchall()
    assert rows, "the small world has guests with no stay yet"
    return rows[0]


def test_guest_with_no_stay_yet_gets_profile_and_first_stay_action(small_run, unscored):
    guest_id, consent = unscored
    live = score_one_guest(small_run.layout, small_run.settings, guest_id)
    assert live.status == "no_stay_yet"
    assert (live.churn_probability, live.clv_horizon, live.segment, live.reasons) == (
        None,
        None,
        None,
        [],
    )
    assert live.profile is not None and live.profile.has_marketing_consent == consent
    assert live.next_action is not None
    assert (live.next_action.journey_stage, live.next_action.rule_id) == ("no_stay_yet", "FS-01")
    assert live.next_action.price_multiplier == 1.0
    if not consent:
        assert live.next_action.channel == "none"


def test_cli_card_and_json_for_a_guest_with_no_stay_yet(small_run, unscored):
    guest_id = unscored[0]
    data_dir = str(small_run.layout.data_dir)
    card = CliRunner().invoke(app, ["score-guest", guest_id, "--data-dir", data_dir])
    assert card.exit_code == 0, card.output
    assert "none yet" in card.output and "Bonus loyalty points" in card.output
    result = CliRunner().invoke(app, ["score-guest", guest_id, "--json", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["status"] == "no_stay_yet" and document["churn_probability"] is None
    assert GuestScore.model_validate(document).profile is not None
