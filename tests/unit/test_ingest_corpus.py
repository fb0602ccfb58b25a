"""The bad-input corpus: every malformed file gets one line, its exit code, and no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from guestloyalty.cli import app

CORPUS = Path(__file__).parents[1] / "fixtures" / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text())["cases"]


def _case_id(case: dict) -> str:
    mapping = case.get("mapping")
    return case["file"] + (f"+{Path(mapping).stem}" if mapping else "")


def _bronze_rows(data_dir: Path) -> dict[str, int]:
    with duckdb.connect(str(data_dir / "bronze" / "bronze.duckdb"), read_only=True) as con:
        rows = con.sql(
            "select _source_file, count(*) from stays group by 1 "
            "union all select _source_file, count(*) from engagement_events group by 1"
        ).fetchall()
    return {Path(name).name: count for name, count in rows}


def test_the_corpus_has_at_least_twenty_refused_files():
    refused = {case["file"] for case in CASES if case["exit"] != 0 and "mapping" not in case}
    assert len(refused) >= 20


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_each_bad_input_gets_one_line_and_its_exit_code(case, tmp_path, monkeypatch):
    monkeypatch.chdir(CORPUS)
    args = ["ingest", case["file"], "--data-dir", str(tmp_path)]
    if "mapping" in case:
        args += ["--mapping", case["mapping"]]
    result = CliRunner().invoke(app, args)
    output = result.output.strip()
    assert result.exit_code == case["exit"], output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    if case["exit"] == 0:
        assert _bronze_rows(tmp_path)[Path(case["file"]).name] == case["rows"]
    else:
        assert output.startswith("error: ")
        assert case["message"] in output


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(CORPUS)
    monkeypatch.setenv("GUESTLOYALTY_DEBUG", "0")  # --debug sets it; restored afterwards
    result = CliRunner().invoke(
        app, ["--debug", "ingest", "stays/ragged_short.csv", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert result.exception is not None
    assert "Expected Number of Columns" in str(result.exception)


def test_after_the_whole_corpus_every_readable_row_is_in_bronze(tmp_path):
    """One ingest over the whole corpus: refused files leave nothing, the others load whole."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("mappings", "*.py", "*.yaml"))
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(app, ["ingest", str(corpus), "--data-dir", str(data_dir)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output

    loadable = {
        Path(case["file"]).name: case["rows"]
        for case in CASES
        if case["exit"] == 0 and "mapping" not in case
    }
    assert _bronze_rows(data_dir) == loadable
    for name in loadable:
        assert f"{name}: loaded" in result.output
    refused_lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    refused_files = {
        Path(case["file"]).name
        for case in CASES
        if case["exit"] != 0 and "mapping" not in case and case["file"] != "empty_folder"
    } - {"export.xlsx"}  # a folder scan skips files that are not data files
    assert len(refused_lines) == len(refused_files)
