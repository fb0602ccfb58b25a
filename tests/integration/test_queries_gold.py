"""Every named query runs on a real gold with its defaults; files and limits work."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty import queries
from guestloyalty.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("name", sorted(queries.catalog()))
def test_every_query_runs_with_its_defaults(gold, name):
    query = queries.catalog()[name]
    present = {
        row[0] for row in gold.sql("select table_name from information_schema.tables").fetchall()
    }
    missing = set(query.requires) - present
    if missing:
        pytest.skip(f"gold of this version has no {', '.join(sorted(missing))}")
    rel = queries.relation(gold, query, query.values(), limit=5)
    rows = rel.fetchall()
    assert len(rows) <= 5
    assert len(rel.columns) == len(set(rel.columns)), "column names must be unique"


def test_cli_run_prints_rows(small_run):
    result = CliRunner().invoke(
        app,
        [
            "query",
            "run",
            "top_guests_by_clv",
            "--param",
            "limit_n=3",
            "--data-dir",
            str(small_run.layout.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(3 rows)" in result.output


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_run_writes_files(small_run, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(
        app,
        [
            "query",
            "run",
            "likely_churners",
            "-p",
            "min_probability=0.5",
            f"--{fmt}",
            str(target),
            "--limit",
            "7",
            "--data-dir",
            str(small_run.layout.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    reader = "read_csv_auto" if fmt == "csv" else "read_parquet"
    with duckdb.connect() as con:
        rows = con.sql(f"select churn_probability from {reader}('{target}')").fetchall()
    assert 0 < len(rows) <= 7
    assert all(row[0] >= 0.5 for row in rows)


def test_cli_unknown_param_is_one_line(small_run):
    result = CliRunner().invoke(
        app,
        [
            "query",
            "run",
            "top_guests_by_clv",
            "-p",
            "nope=1",
            "--data-dir",
            str(small_run.layout.data_dir),
        ],
    )
    assert result.exit_code == 2
    assert "has no parameter 'nope'" in result.output
