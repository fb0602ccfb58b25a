"""status after a whole run: the run, gold, promoted models with metrics, --json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.operations.status import Status, collect_status

pytestmark = pytest.mark.integration


def test_status_reports_the_run_gold_and_models(small_run):
    status = collect_status(small_run.layout)
    assert status.last_run is not None
    assert status.last_run.status == "succeeded"
    assert status.last_run.as_of_date is not None
    assert status.gold is not None
    assert status.gold.as_of_date == status.last_run.as_of_date
    assert status.gold.tables["guest_scores"] > 0
    churn = next(model for model in status.models if model.model_name == "churn")
    assert 0.5 < churn.metrics["auc"] <= 1.0
    assert all(warning.psi > 0.2 for warning in status.drift_warnings)
    entities = {entity.entity: entity for entity in status.entities}
    assert entities["stays"].reconciled is True


def test_cli_status_text_and_json(small_run):
    data_dir = str(small_run.layout.data_dir)
    text = CliRunner().invoke(app, ["status", "--data-dir", data_dir])
    assert text.exit_code == 0, text.output
    for label in ("last run", "gold", "model", "churn", "drift", "stays"):
        assert label in text.output
    raw = CliRunner().invoke(app, ["status", "--json", "--data-dir", data_dir])
    parsed = Status.model_validate(json.loads(raw.output))
    assert parsed.gold is not None and parsed.models


def test_run_summary_has_timings_rows_models_and_gold(small_run):
    from guestloyalty.operations.summary import run_summary

    lines = run_summary(small_run.layout, small_run.report)
    text = "\n".join(lines)
    assert lines[0].startswith("pipeline succeeded in")
    for stage in ("ingest", "transform", "train", "score", "publish"):
        assert stage in lines[1]
    assert "bronze" in text and "quarantined" in text and "gold" in text
    assert "model    churn" in text and "auc" in text
    assert str(small_run.layout.gold_path) in text


def test_stage_progress_off_a_terminal_prints_plain_lines():
    import io

    from guestloyalty.operations.summary import StageProgress

    out = io.StringIO()
    with StageProgress(stream=out) as progress:
        progress.report("[ingest] ...")
        progress.report("[ingest] done in 0.1s: stays=3")
    assert out.getvalue().splitlines() == ["[ingest] ...", "[ingest] done in 0.1s: stays=3"]
