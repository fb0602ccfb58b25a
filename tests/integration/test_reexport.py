"""A corrected re-export wins: the same key in a later batch supersedes the earlier row."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

HEADER = "stay_id,guest_id,property_id,room_type,check_in_date,check_out_date,total_revenue"


def test_the_later_batch_wins_and_silver_says_which(tmp_path):
    layout = Layout(tmp_path / "data")
    first = tmp_path / "export_monday.csv"
    second = tmp_path / "export_tuesday.csv"
    first.write_text(
        f"{HEADER}\nS1,G1,LIS-CITY,STD,2025-03-01,2025-03-03,200.00\n"
        "S2,G2,OPO-CITY,STD,2025-03-02,2025-03-04,180.00\n"
    )
    second.write_text(f"{HEADER}\nS1,G1,LIS-CITY,STD,2025-03-01,2025-03-04,300.00\n")
    runner = CliRunner()
    for export in (first, second):
        result = runner.invoke(
            app, ["ingest", str(export), "--entity", "stays", "--data-dir", str(layout.data_dir)]
        )
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["transform", "--data-dir", str(layout.data_dir)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        batches = dict(con.execute("select _source_file, _batch_id from stays").fetchall())
    tuesday = next(batch for source, batch in batches.items() if source.endswith("tuesday.csv"))
    monday = next(batch for source, batch in batches.items() if source.endswith("monday.csv"))
    with duckdb.connect(str(layout.silver_path), read_only=True) as con:
        silver = con.execute(
            "select stay_id, total_revenue, check_out_date::varchar, _batch_id "
            "from stg_bronze__stays order by stay_id"
        ).fetchall()
        quarantined = con.execute(
            "select _batch_id, failed_rule from quarantine where entity = 'stays'"
        ).fetchall()
    assert silver == [("S1", 300.0, "2025-03-04", tuesday), ("S2", 180.0, "2025-03-04", monday)]
    assert quarantined == [(monday, "duplicate_key")]
