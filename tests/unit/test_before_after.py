"""The before/after comparison tools in benchmarks/: they see a change, and only a real one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import duckdb

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _gold(data_dir: Path, rows: list[tuple]) -> Path:
    (data_dir / "gold").mkdir(parents=True)
    with duckdb.connect(str(data_dir / "gold" / "gold.duckdb")) as con:
        con.execute(
            "create table guest_scores (guest_id varchar, churn_probability double, "
            "model_version varchar, scored_at timestamp)"
        )
        con.executemany("insert into guest_scores values (?, ?, ?, ?)", rows)
    return data_dir


def test_gold_fingerprint_ignores_versions_and_times_but_not_values(tmp_path):
    fp = _load("gold_fingerprint")
    base = fp.fingerprint(_gold(tmp_path / "a", [("g1", 0.25, "v1", "2026-01-01 00:00:00")]))
    rerun = fp.fingerprint(_gold(tmp_path / "b", [("g1", 0.25, "v2", "2026-02-01 10:00:00")]))
    changed = fp.fingerprint(_gold(tmp_path / "c", [("g1", 0.26, "v1", "2026-01-01 00:00:00")]))

    assert base["guest_scores"]["left_out"] == ["model_version", "scored_at"]
    assert fp.compare(base, rerun) == []
    assert fp.compare(base, changed) == ["guest_scores.churn_probability differs"]


def test_gold_fingerprint_is_independent_of_row_order(tmp_path):
    fp = _load("gold_fingerprint")
    rows = [("g1", 0.25, "v", None), ("g2", 0.5, "v", None)]
    one = fp.fingerprint(_gold(tmp_path / "a", rows))
    other = fp.fingerprint(_gold(tmp_path / "b", rows[::-1]))
    assert fp.compare(one, other) == []


def test_compiled_sql_compare_folds_whitespace_only(tmp_path, capsys):
    cs = _load("compiled_sql")
    for name, text in [
        ("a", "select 1\n  from x"),
        ("b", "select 1 from x"),
        ("c", "select 2 from x"),
    ]:
        (tmp_path / name / "m").mkdir(parents=True)
        (tmp_path / name / "m" / "model.sql").write_text(text)

    assert cs.compare(tmp_path / "a", tmp_path / "b") == 0
    assert cs.compare(tmp_path / "a", tmp_path / "c") == 1
    assert "m/model.sql: differs" in capsys.readouterr().out
