"""Analysts query gold all through a run; two runs started at once never both write.

The scenario itself (two competing runs, three analysts) is the session fixture
``rerun_under_load`` in conftest.py; the lock's unit tests are in tests/unit/test_lock.py.
"""

from __future__ import annotations

import duckdb
import pytest
from trust_support import CORE_GOLD_TABLES, gold_counts

pytestmark = pytest.mark.integration


def _model_version(gold) -> str:  # noqa: ANN001
    with duckdb.connect(str(gold), read_only=True) as con:
        return con.execute("select any_value(model_version) from guest_scores").fetchall()[0][0]


def test_one_run_wins_the_other_exits_with_a_clear_message(rerun_under_load):
    codes, errors = rerun_under_load.return_codes, rerun_under_load.stderr
    assert sorted(codes) == [0, 2], errors
    loser = errors[codes.index(2)]
    assert "another guestloyalty run" in loser
    assert "--wait" in loser
    assert "Traceback" not in loser


def test_the_winning_run_published_a_complete_gold(rerun_under_load, base_world):
    layout = rerun_under_load.layout
    counts = gold_counts(layout.gold_path)
    assert CORE_GOLD_TABLES <= set(counts)
    assert counts["guest_scores"] == base_world.gold_counts["guest_scores"]
    assert _model_version(layout.gold_path) != rerun_under_load.old_model_version
    assert not layout.build_dir.exists()


def test_no_analyst_query_failed_or_saw_a_half_built_gold(rerun_under_load):
    for report in rerun_under_load.analyst_reports:
        assert report["failures"] == [], report
        assert report["loops"] >= 5, report


def test_analysts_who_reconnect_see_the_new_gold_open_sessions_keep_theirs(rerun_under_load):
    old = rerun_under_load.old_model_version
    new = _model_version(rerun_under_load.layout.gold_path)
    *fresh, persistent = rerun_under_load.analyst_reports
    for report in fresh:
        assert report["versions"] == sorted([old, new]), report
    assert persistent["versions"] == [old], persistent
