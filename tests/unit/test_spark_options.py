"""`--engine spark` options: bad input is one line, and the engine's pieces stay optional."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.warehouse import Layout
from guestloyalty.warehouse import spark as spark_warehouse


def test_spark_conf_without_a_value_is_one_line(tmp_path):
    result = CliRunner().invoke(
        app,
        ["pipeline", "--data-dir", str(tmp_path), "--engine", "spark", "--spark-conf", "x"],
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "--spark-conf 'x': expected KEY=VALUE" in result.output


def test_unknown_engine_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["pipeline", "--data-dir", str(tmp_path), "--engine", "x"])
    assert result.exit_code != 0
    assert "duckdb" in result.output and "spark" in result.output


def test_entity_and_mapping_options_are_refused_on_spark(tmp_path):
    result = CliRunner().invoke(
        app, ["ingest", "--data-dir", str(tmp_path), "--engine", "spark", "--entity", "stays"]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "load on the DuckDB engine only" in result.output


def test_cli_start_up_does_not_import_pyspark():
    code = "import sys; from guestloyalty.cli import app; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_published_spark_gold_is_a_message(tmp_path):
    with pytest.raises(Exception, match="guestloyalty pipeline --engine spark"):
        spark_warehouse.published_gold_schema(Layout(tmp_path))


def test_a_pointer_that_is_not_a_schema_name_is_refused(tmp_path):
    layout = Layout(tmp_path)
    spark_warehouse.spark_dir(layout).mkdir(parents=True)
    (spark_warehouse.spark_dir(layout) / "GOLD").write_text("gold_x; drop table y\n")
    with pytest.raises(Exception, match="not a schema name"):
        spark_warehouse.published_gold_schema(layout)
