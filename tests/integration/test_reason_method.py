"""Stored reasons come from xgboost's exact SHAP values (pred_contribs) on a small world."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.integration


def test_small_world_reasons_are_exact_tree_shap(small_run):
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        methods = con.sql("select distinct method from guest_score_explanations").fetchall()
        top = con.sql(
            "select count(*) from guest_score_explanations where reason_rank = 1"
        ).fetchall()[0][0]
        scored = con.sql("select count(*) from guest_scores").fetchall()[0][0]
    assert methods == [("tree_shap",)]
    assert top == scored
