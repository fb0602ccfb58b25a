"""The benchmark harness's pieces on the session's small world (no timings are asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

pytestmark = pytest.mark.integration


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_dbt_layer_seconds_reads_the_last_invocation(small_run) -> None:  # noqa: ANN001
    run_all = _load("run_all")
    layers = run_all.dbt_layer_seconds(small_run.layout.data_dir / "dbt" / "target")

    assert layers["nodes"] > 0
    assert layers["silver"] >= 0 and layers["gold"] >= 0
    assert all(node["layer"] in {"silver", "gold"} for node in layers["slowest"])


def test_layer_rows_count_every_layer(small_run) -> None:  # noqa: ANN001
    run_all = _load("run_all")
    rows = run_all.layer_rows(small_run.layout)

    assert rows["bronze"]["stays"] > 0
    assert rows["silver"]["quarantine"] >= 0
    assert 0 < rows["gold"]["guest_scores"] <= rows["gold"]["guest_360"]


def test_floor_builds_features_and_fits_on_the_same_landing(small_run) -> None:  # noqa: ANN001
    import duckdb

    floor = _load("floor")
    with duckdb.connect(str(small_run.layout.gold_path), read_only=True) as con:
        as_of = con.sql("select as_of_date from run_context").fetchall()[0][0]

    result = floor.run_floor(small_run.layout.landing_dir, as_of=as_of, threads=1)

    assert result["rows"] > 0
    assert 0.0 < result["churn_rate"] < 1.0
    assert result["trees"] == floor.FLOOR_ROUNDS
    assert result["snapshot_date"] == floor.labeled_snapshot(as_of, 365).isoformat()


def test_growth_compares_consecutive_sizes() -> None:
    run_all = _load("run_all")
    small = {"guests": 10, "stages": {"ingest": 1.0, "train": 2.0}, "end_to_end_seconds": 3.0}
    large = {"guests": 100, "stages": {"ingest": 5.0, "train": 40.0}, "end_to_end_seconds": 45.0}

    (row,) = run_all.growth([large, small])

    assert row["data"] == 10
    assert row["time"] == {"ingest": 5.0, "train": 20.0, "end to end": 15.0}


def test_a_size_that_failed_misses_its_target_and_says_why() -> None:
    run_all = _load("run_all")
    # py-spy exits 0 when the pipeline under it fails: no stages, no result file, rc 0
    failed = {"guests": 1_000_000, "rc": 0, "timed_out": False, "error": "Out of Memory"}

    rows = run_all.targets({"sizes": [failed], "extras": {}})

    assert rows == [
        (
            "1,000,000 guests end to end ≤ 120 s",
            "the pipeline failed; no result was written",
            "**no**",
        )
    ]


def test_transform_splits_into_both_builds_and_the_sentiment_stage() -> None:
    run_all = _load("run_all")
    result = {
        "generate_seconds": 1.0,
        "stage_seconds": {"transform": 20.0, "train": 3.0},
        "dbt_silver_build": {"silver": 9.0, "gold": 1.0},  # seeds run with silver
        "dbt_pre_scoring": {"silver": 0.0, "gold": 4.0},
        "details": {"transform": {"sentiment_seconds": 2.5}},
    }

    stages = run_all.stage_table(result)

    assert stages == {
        "generate": 1.0,
        "dbt start-up": 3.5,
        "dbt silver": 9.0,
        "sentiment": 2.5,
        "dbt gold": 5.0,
        "train": 3.0,
    }


def test_the_summary_puts_wall_and_cpu_seconds_side_by_side() -> None:
    run_all = _load("run_all")
    size = {
        "guests": 100,
        "stages": {"dbt start-up": 1.0, "dbt silver": 4.0, "train": 3.0},
        "stage_cpu_seconds": {"transform": 9.5, "train": 2.5},
        "stages_cpu": {"dbt (all)": 9.5, "train": 2.5},
        "end_to_end_seconds": 8.0,
        "peak_rss_bytes": 2**30,
        "floor": {"total_seconds": 0.5, "total_cpu_seconds": 0.4},
        "floor_ratio": 16.0,
        "floor_cpu_ratio": 30.0,
    }
    extras = {"score_guest": {"p95_s": 0.2, "p50_s": 0.1, "cpu_p95_s": 0.15, "guests_in_gold": 100}}

    lines = run_all.summary_table([size], extras)

    assert "| dbt start-up (CPU: whole transform) | 1.0 | 9.5 |" in lines
    assert "| dbt silver | 4.0 | ↑ |" in lines
    assert "| train | 3.0 | 2.5 |" in lines
    assert "| **end to end** | **8.0** | **12.0** |" in lines
    assert any(line.startswith("| score-guest p95") and "0.200 (0.100)" in line for line in lines)
