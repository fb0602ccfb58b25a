"""score-guest on the session's small world: same numbers as the batch, fast path, errors."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.serving.guest import SCHEMA_VERSION, GuestScore, from_document, score_one_guest

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
    parsed = from_document(document)
    assert parsed.guest_id == guest_id
    assert set(document) == {field.name for field in dataclasses.fields(GuestScore)}
    broken = {**document, "churn_probability": 1.5}
    with pytest.raises(ValueError, match="less than or equal to 1"):
        from_document(broken)


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
    assert from_document(document).profile is not None


def _console(data_dir, *args: str) -> subprocess.CompletedProcess[str]:
    """``guestloyalty ARGS`` through the console script's entry (``python -m guestloyalty``)."""
    env = {**os.environ, "GUESTLOYALTY_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "guestloyalty", *args], capture_output=True, text=True, env=env
    )


def _without_clock(text: str) -> dict:
    document = json.loads(text)
    document.pop("scored_at")
    return document


@pytest.mark.parametrize("which", ["scored", "unscored"])
def test_console_fast_path_prints_what_the_typer_app_prints(small_run, scored, unscored, which):
    guest_id = scored[0][0] if which == "scored" else unscored[0]
    data_dir = small_run.layout.data_dir
    typer_card = CliRunner().invoke(app, ["score-guest", guest_id, "--data-dir", str(data_dir)])
    fast_card = _console(data_dir, "score-guest", guest_id)
    assert fast_card.returncode == 0, fast_card.stderr
    assert fast_card.stdout == typer_card.output
    typer_json = CliRunner().invoke(
        app, ["score-guest", guest_id, "--json", "--data-dir", str(data_dir)]
    )
    fast_json = _console(data_dir, "score-guest", "--json", f"--data-dir={data_dir}", guest_id)
    assert fast_json.returncode == 0, fast_json.stderr
    assert _without_clock(fast_json.stdout) == _without_clock(typer_json.output)


def test_console_fast_path_errors_are_one_line(small_run):
    result = _console(small_run.layout.data_dir, "score-guest", "G9999999")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no guest with id 'G9999999' in the published gold"
    ]


def test_console_fast_path_imports_neither_typer_nor_pydantic(small_run, scored):
    code = (
        "import sys; from guestloyalty.console import main; "
        f"sys.argv = ['guestloyalty', 'score-guest', {scored[0][0]!r}]\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert stop.code == 0, stop.code\n"
        "print(','.join(m for m in ('typer', 'pydantic', 'click') if m in sys.modules), "
        "file=sys.stderr)"
    )
    env = {**os.environ, "GUESTLOYALTY_DATA_DIR": str(small_run.layout.data_dir)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert "churn" in out.stdout
    assert out.stderr.strip() == ""
