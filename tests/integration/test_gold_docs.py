"""`guestloyalty docs` builds the dbt catalog of a finished run (its own module: no other
connection may hold the run's files while dbt opens them)."""

from __future__ import annotations

import json

import pytest

from guestloyalty.cli import app

pytestmark = pytest.mark.integration

DBT_GOLD_TABLES = {
    "guest_360",
    "guest_feature_snapshots",
    "guest_identity_map",
    "guest_loyalty_scores",
    "guest_rfm",
    "business_metrics",
    "business_metrics_by_segment",
    "run_context",
}


def test_docs_catalog_lists_every_gold_model(small_run):
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["docs", "--data-dir", str(small_run.layout.data_dir)])
    assert result.exit_code == 0, result.output
    target = small_run.layout.dbt_target_dir
    assert (target / "static_index.html").stat().st_size > 0
    catalog = json.loads((target / "catalog.json").read_text())
    names = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert DBT_GOLD_TABLES <= names
