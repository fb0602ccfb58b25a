"""The report of a whole run: one self-contained file, honest curves."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def page(small_run, tmp_path_factory):
    target = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(
        app,
        ["report", "--data-dir", str(small_run.layout.data_dir), "--output", str(target)],
    )
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def test_report_is_self_contained(page):
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_report_is_well_formed_html(page):
    class Checker(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.svgs = 0

        def handle_starttag(self, tag, attrs):  # noqa: ANN001
            if tag == "svg":
                self.svgs += 1

    checker = Checker()
    checker.feed(page)
    assert checker.svgs >= 6


def test_report_has_every_section(page):
    for heading in (
        "At a glance",
        "Churn ROC",
        "Churn calibration",
        "Cumulative gains",
        "Lift by decile",
        "CLV predicted vs actual by decile",
        "Segment profiles",
        "Business over time",
    ):
        assert heading in page, heading


def test_curves_measure_the_same_auc_as_training(small_run, page):
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        metrics = json.loads(
            con.sql(
                "select metrics from model_registry where model_name = 'churn' and is_promoted"
            ).fetchall()[0][0]
        )
    assert f"model (AUC {metrics['auc']:.3f})" in page
