"""status on an empty data directory: clear notes, --json with a schema version."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.operations.status import Status, collect_status, format_status
from guestloyalty.warehouse import Layout


def test_empty_data_dir_says_what_to_run(tmp_path):
    status = collect_status(Layout(tmp_path))
    assert status.last_run is None and status.gold is None and status.models == []
    assert any("guestloyalty pipeline" in note for note in status.notes)
    assert any("guestloyalty ingest" in note for note in status.notes)
    lines = format_status(status)
    assert lines[0] == "last run   none recorded"


def test_cli_status_json_has_a_schema_version(tmp_path):
    result = CliRunner().invoke(app, ["status", "--json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["schema_version"] == "1.0"
    Status.model_validate(document)


def test_cli_status_help():
    result = CliRunner().invoke(app, ["status", "--help"])
    assert result.exit_code == 0
    assert "--json" in result.output
