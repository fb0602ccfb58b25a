"""The analyst path of the README: open the published gold read-only and run a query."""

from __future__ import annotations

import struct
import subprocess
import sys

import duckdb
import pytest

pytestmark = pytest.mark.integration


def _sql(small_run, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guestloyalty", "sql", "--data-dir", str(small_run.layout.data_dir)]
        + list(args),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_published_gold_is_in_the_format_older_duckdb_clients_read(small_run):
    header = small_run.layout.gold_path.read_bytes()[:20]
    # header version 64: DuckDB 1.0's storage; duckdb-cli 1.5.6 reads 64-68, not 2.0's own
    assert header[8:12] == b"DUCK"
    assert struct.unpack("<Q", header[12:20])[0] == 64


def test_sql_c_runs_one_query_on_gold(small_run):
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        expected = con.sql("select count(*) from guest_scores").fetchall()[0][0]
    result = _sql(small_run, "--csv", "-c", "select count(*) as guests from guest_scores")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["guests", str(expected)]


def test_sql_refuses_to_write_with_one_line(small_run):
    result = _sql(small_run, "-c", "drop table guest_scores")
    assert result.returncode != 0
    assert result.stderr.startswith("error: ") and "read-only" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_sql_reads_statements_from_stdin(small_run):
    result = _sql(
        small_run,
        "--csv",
        stdin="select count(*) as n\n  from run_context;\n.tables\nselect nope;\n",
    )
    assert result.returncode == 1  # one statement failed; the others ran
    assert result.stdout.startswith("n\n1\n")
    assert "guest_scores" in result.stdout.splitlines()
    assert result.stderr.count("error: ") == 1
