"""Report building blocks: SVG charts are well-formed, curves agree with the metrics."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.evaluation.metrics import roc_auc
from guestloyalty.reporting.report import calibration_bins, decile_means, gains, roc_curve
from guestloyalty.reporting.report_svg import Series, bar_chart, hbar_chart, line_chart, nice_ticks


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_line_chart_is_well_formed_and_escapes_labels():
    svg = line_chart(
        [Series("model <b>&", [0, 0.5, 1], [0, 0.8, 1]), Series("random", [0, 1], [0, 1])],
        title="ROC & friends",
        x_label="fpr",
        y_label="tpr",
        x_range=(0, 1),
        y_range=(0, 1),
    )
    root = _parse(svg)
    assert root.tag.endswith("svg")
    assert "<b>" not in svg
    assert len(root.findall(".//{http://www.w3.org/2000/svg}polyline")) == 2


def test_line_chart_skips_missing_values():
    svg = line_chart(
        [Series("a", [0, 1, 2], [1.0, float("nan"), 3.0])], title="t", x_label="x", y_label="y"
    )
    points = _parse(svg).find(".//{http://www.w3.org/2000/svg}polyline").get("points")
    assert len(points.split()) == 2


def test_bar_charts_are_well_formed():
    bars = bar_chart(
        ["a", "b"], [("x", [1.0, 2.0], "#000"), ("y", [0.5, None], "#111")], title="t", y_label="v"
    )
    assert len(_parse(bars).findall(".//{http://www.w3.org/2000/svg}rect")) >= 3
    _parse(hbar_chart(["long segment name that is cut", "b"], [3.0, 1.0], title="t"))


@pytest.mark.parametrize(("low", "high"), [(0, 1), (0, 1234), (-3, 7), (5, 5)])
def test_ticks_cover_the_range(low, high):
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low
    assert ticks[-1] >= min(high, ticks[-1])
    assert ticks == sorted(ticks)


def test_roc_curve_area_is_the_auc():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 3000)
    score = y * 0.6 + rng.normal(0, 0.5, 3000)
    score[:200] = np.round(score[:200], 1)  # ties
    fpr, tpr = roc_curve(y, score, points=100_000)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc(y, score), abs=1e-9)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)


def test_gains_and_calibration():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0], dtype=float)
    score = np.linspace(1, 0, 10)
    share, captured = gains(y, score, points=10)
    assert captured[0] == 0 and captured[2] == pytest.approx(2 / 3) and captured[-1] == 1
    predicted, observed, rows = calibration_bins(y, score, bins=5)
    assert sum(rows) == 10 and observed[-1] == 1.0
    assert decile_means(np.arange(10.0), np.arange(10.0), groups=2) == [7.0, 2.0]


def test_report_without_gold_is_a_clear_message(tmp_path):
    result = CliRunner().invoke(app, ["report", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "guestloyalty pipeline" in result.output
    assert "Traceback" not in result.output


def test_recommendation_figures_get_their_own_table_models_side_by_side():
    from guestloyalty.reporting.report import _recommendation_rows

    rows = _recommendation_rows(
        [
            ("churn", "model", "auc", 0.9),
            ("recommend_property", "model", "hit_at_3", 0.81),
            ("recommend_property", "last_time", "hit_at_3", 0.68),
            ("recommend_property", "model", "guests", 2328.0),
            ("recommend_extras", "model", "auc", 0.73),
        ]
    )
    assert [row[:2] for row in rows] == [["property", "hit_at_3"], ["extras", "auc"]]
    assert rows[0][2:] == ["0.810", "", "0.680"]
