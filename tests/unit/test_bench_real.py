"""The real-data benchmark's pieces: raw readers, outcomes in the horizon, the comparison."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
CDNOW_HEAD = ROOT / "tests" / "fixtures" / "real" / "cdnow_master_head2000.txt"


@pytest.fixture(scope="module")
def real_btyd() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_real_btyd", ROOT / "benchmarks" / "real_btyd.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_real_set_has_a_shipped_mapping(real_btyd) -> None:
    for spec in real_btyd.REAL_SETS.values():
        assert spec.mapping.exists(), spec.mapping


def test_cdnow_reader_keeps_ids_as_text_and_dollars(real_btyd) -> None:
    purchases = real_btyd.read_cdnow_master(CDNOW_HEAD)
    assert len(purchases) == 2000
    assert purchases[0] == ("00001", dt.date(1997, 1, 1), 11.77)


def test_grocery_and_sample_readers(real_btyd, tmp_path) -> None:
    grocery = tmp_path / "g.csv"
    grocery.write_text("cust,date\n1,2006-01-01\n2,2006-12-19\n")
    assert real_btyd.read_grocery(grocery) == [
        ("1", dt.date(2006, 1, 1), 1.0),
        ("2", dt.date(2006, 12, 19), 1.0),
    ]
    sample = tmp_path / "s.txt"
    sample.write_bytes(b"00004 00001 19970101 2 29.33\r\n00004 00001 19970118 2 29.73\r\n")
    assert real_btyd.read_cdnow_sample(sample)[1] == ("00004", dt.date(1997, 1, 18), 29.73)


def test_outcomes_count_only_the_horizon_after_as_of(real_btyd) -> None:
    day = dt.date(2020, 1, 10)
    purchases = [
        ("a", dt.date(2020, 1, 1), 5.0),
        ("a", day, 1.0),  # on as_of: before, not in the horizon
        ("a", dt.date(2020, 1, 11), 2.0),
        ("a", dt.date(2020, 1, 20), 3.0),  # last day of a 10-day horizon
        ("a", dt.date(2020, 1, 21), 100.0),  # after it
        ("b", dt.date(2020, 1, 5), 7.0),
        ("c", dt.date(2020, 1, 15), 9.0),  # first purchase after as_of: not a known customer
    ]
    known, after = real_btyd.outcomes(purchases, as_of=day, horizon_days=10)
    assert known == {"a", "b"}
    assert after == {"a": (2, 5.0), "c": (1, 9.0)}


def _gold(path: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table guest_scores (guest_id varchar, as_of_date date, "
            "churn_probability double, clv_horizon double, p_no_stay_btyd double, clv_btyd double, "
            "model_mode varchar, model_version varchar)"
        )
        con.executemany("insert into guest_scores values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(
            "create table model_registry (model_name varchar, algorithm varchar, note varchar, "
            "is_promoted boolean)"
        )
        con.execute("insert into model_registry values ('churn', 'xgboost', null, true)")


def test_compare_scores_model_and_baseline_on_the_same_guests(real_btyd, tmp_path) -> None:
    day = dt.date(2020, 1, 1)
    # the model ranks perfectly, the baseline backwards; one guest lacks a baseline
    _gold(
        tmp_path / "gold.duckdb",
        [
            ("a", day, 0.1, 9.0, 0.9, 1.0, "xgboost", "v1"),
            ("b", day, 0.2, 4.0, 0.8, 2.0, "xgboost", "v1"),
            ("c", day, 0.9, 0.0, 0.1, 3.0, "xgboost", "v1"),
            ("d", day, 0.8, 0.0, None, None, "xgboost", "v1"),
        ],
    )
    scores = real_btyd.read_scores(tmp_path / "gold.duckdb")
    result = real_btyd.compare(scores, {"a", "b", "c", "d"}, {"a": (2, 10.0), "b": (1, 4.0)})

    assert result["guests_scored"] == 4 and result["in_file_not_scored"] == 0
    assert result["is_fallback"] is False
    assert result["churn"]["model"]["auc"] == 1.0
    assert result["churn"]["btyd"]["auc"] < 0.5
    assert result["clv"]["model"]["actual_total"] == 14.0
    assert result["clv"]["model"]["mae"] == pytest.approx(0.25)
    table = real_btyd.render_set(
        {
            **result,
            "title": "t",
            "as_of": "2020-01-01",
            "horizon_days": 10,
            "data_end": "2020-01-11",
            "value": "spend",
        }
    )
    assert "| churn AUC | 1.000 | 0.000 | model |" in table
