"""The plausibility gate on two tiny gold files: what stops a run, what does not."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from guestloyalty.config import Settings
from guestloyalty.operations.gate import check_run, read_figures
from guestloyalty.warehouse import Layout

AS_OF = dt.date(2025, 12, 31)


def _gold(
    path,  # noqa: ANN001
    *,
    as_of: dt.date = AS_OF,
    scored: int = 1_000,
    revenue: float = 500_000.0,
    quarantined: int = 10,
    bronze: int = 10_000,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create table run_context as select ?::date as as_of_date", [as_of])
        con.execute("create table guest_scores as select range as guest_id from range(?)", [scored])
        con.execute("create table business_metrics as select ?::double as revenue", [revenue])
        con.execute(
            "create table quarantine_rules as select 'stays' as entity, "
            "'duplicate_key' as failed_rule, ?::bigint as quarantined_rows, "
            "?::bigint as bronze_rows",
            [quarantined, bronze],
        )


@pytest.fixture
def layout(tmp_path) -> Layout:  # noqa: ANN001
    layout = Layout(tmp_path)
    _gold(layout.gold_path)
    return layout


def test_the_first_run_has_nothing_to_compare(tmp_path):
    layout = Layout(tmp_path)
    _gold(layout.gold_build_path, as_of=dt.date(2099, 1, 1))
    assert check_run(layout, Settings()).passed


def test_a_normal_night_passes(layout):
    _gold(layout.gold_build_path, as_of=AS_OF + dt.timedelta(days=1), scored=1_010,
          revenue=501_000.0, quarantined=12, bronze=10_050)  # fmt: skip
    assert check_run(layout, Settings()).changes == []


@pytest.mark.parametrize(
    ("build", "phrase"),
    [
        ({"as_of": dt.date(2099, 1, 1)}, "as_of 2025-12-31 -> 2099-01-01"),
        ({"scored": 0}, "guests with scores 1,000 -> 0 (-100%)"),
        ({"scored": 2_000}, "guests with scores 1,000 -> 2,000 (+100%)"),
        ({"revenue": 100_000_500_000.0}, "total revenue 500,000 -> 100,000,500,000"),
        ({"quarantined": 900}, "stays quarantined 0.1% -> 9.0% of rows"),
    ],
)
def test_an_implausible_change_is_named(layout, build, phrase):
    _gold(layout.gold_build_path, **build)
    result = check_run(layout, Settings())
    assert not result.passed
    assert any(phrase in change for change in result.changes), result.changes


def test_thresholds_come_from_settings(layout):
    _gold(layout.gold_build_path, as_of=AS_OF + dt.timedelta(days=60))
    assert not check_run(layout, Settings()).passed
    assert check_run(layout, Settings(gate_max_as_of_jump_days=90)).passed


def test_a_quarantine_share_that_multiplies_but_stays_tiny_passes(layout):
    _gold(layout.gold_build_path, quarantined=40)  # 0.1% -> 0.4%: under 1 point
    assert check_run(layout, Settings()).passed


def test_quarantine_after_a_gold_with_none_quarantined_stops(layout):
    with duckdb.connect(str(layout.gold_path)) as con:
        con.execute("delete from quarantine_rules")
    _gold(layout.gold_build_path, quarantined=900)
    result = check_run(layout, Settings())
    assert result.changes == ["stays quarantined 0.0% -> 9.0% of rows"]


def test_a_gold_without_quarantine_rules_skips_that_check(layout):
    with duckdb.connect(str(layout.gold_path)) as con:
        con.execute("drop table quarantine_rules")
    _gold(layout.gold_build_path, quarantined=900)
    assert check_run(layout, Settings()).passed


def test_a_first_small_file_with_one_bad_row_passes(layout):
    with duckdb.connect(str(layout.gold_path)) as con:
        con.execute("delete from quarantine_rules")
    _gold(layout.gold_build_path, quarantined=1, bronze=3)  # 33%, but one row
    assert check_run(layout, Settings()).passed


def test_figures_of_a_missing_file_are_none(tmp_path):
    assert read_figures(tmp_path / "nothing.duckdb") is None
