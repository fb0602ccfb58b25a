"""score-guest accepts a source system's guest id through guest_identity_map."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.serving.guest import score_one_guest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mapped(small_run):
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        tables = {row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall()}
        if "guest_identity_map" not in tables:
            pytest.skip("this gold has no guest_identity_map")
        rows = con.sql(
            "select map.source_system, map.source_guest_id, map.guest_id "
            "from guest_identity_map as map "
            "inner join guest_scores as scores on map.guest_id = scores.guest_id "
            "where map.source_guest_id <> map.guest_id "
            "and map.source_guest_id not in (select guest_id from guest_scores) "
            "order by map.guest_id limit 5"
        ).fetchall()
    if not rows:
        pytest.skip("every source id equals its guest id in this world")
    return rows


def test_source_id_with_its_system_resolves_to_our_guest(small_run, mapped):
    for system, source_id, guest_id in mapped:
        live = score_one_guest(
            small_run.layout, small_run.settings, source_id, source_system=system
        )
        assert live.guest_id == guest_id
        assert live.requested_id == source_id
        assert live.matched_by == f"source:{system}"


def test_cli_source_system_option(small_run, mapped):
    system, source_id, guest_id = mapped[0]
    result = CliRunner().invoke(
        app,
        [
            "score-guest",
            source_id,
            "--source-system",
            system,
            "--data-dir",
            str(small_run.layout.data_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f'"guest_id": "{guest_id}"' in result.output


def test_unknown_source_system_is_one_line(small_run, mapped):
    _, source_id, _ = mapped[0]
    result = CliRunner().invoke(
        app,
        [
            "score-guest",
            source_id,
            "--source-system",
            "nope",
            "--data-dir",
            str(small_run.layout.data_dir),
        ],
    )
    assert result.exit_code == 1
    assert "in source system 'nope'" in result.output
