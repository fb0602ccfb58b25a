import subprocess
import sys

import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app

COMMANDS = [
    "generate",
    "ingest",
    "transform",
    "train",
    "score",
    "pipeline",
    "score-guest",
    "status",
    "backtest",
    "forget",
    "docs",
    "sql",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--data-dir" in result.output
    assert len(result.output.strip().splitlines()) > 3


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from guestloyalty.cli import app; "
        "heavy = [m for m in ('xgboost', 'sklearn', 'dbt', 'scipy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_gold_is_a_message_not_a_traceback(tmp_path):
    result = CliRunner().invoke(app, ["score-guest", "G1", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "guestloyalty pipeline" in result.output


def test_bad_as_of_is_rejected(tmp_path):
    result = CliRunner().invoke(app, ["transform", "--data-dir", str(tmp_path), "--as-of", "x"])
    assert result.exit_code == 2


def test_sql_without_gold_is_a_message_not_a_traceback(tmp_path):
    result = CliRunner().invoke(app, ["sql", "-c", "select 1", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "guestloyalty pipeline" in result.output
