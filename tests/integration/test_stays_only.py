"""The minimum useful input: stays alone (no guests, bookings, engagement...) runs end to end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from guestloyalty.config import Settings
from guestloyalty.contracts import ENTITIES
from guestloyalty.operations.pipeline import RunReport, run_pipeline
from guestloyalty.synth.world import WorldSpec, changing, generate_world, write_frames
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

STAYS_ONLY_GUESTS = 800


@dataclass(frozen=True)
class StaysOnlyRun:
    layout: Layout
    report: RunReport
    stays: int


@pytest.fixture(scope="module")
def stays_only_run(tmp_path_factory: pytest.TempPathFactory) -> StaysOnlyRun:
    data_dir: Path = tmp_path_factory.mktemp("stays_only")
    layout = Layout(data_dir)
    # the changing world (issue 15): a growing base with a shock, exported as a purchase log
    frames = generate_world(changing(WorldSpec(guests=STAYS_ONLY_GUESTS, seed=11))).frames
    write_frames({"stays": frames["stays"]}, layout.landing_dir)
    # a second export with rows silver must quarantine (never drop)
    (layout.landing_entity_dir("stays") / "late_export.csv").write_text(
        "guest_id,check_in_date,total_revenue\n"
        "G0000001,not a date,10.00\n"
        "G0000001,2024-01-01,-5.00\n"
        ",2024-01-01,5.00\n"
    )
    report = run_pipeline(
        layout, Settings(data_dir=data_dir, seed=11), generate=False, report=lambda _: None
    )
    return StaysOnlyRun(layout, report, frames["stays"].height + 3)


def test_pipeline_succeeds_on_stays_alone(stays_only_run):
    assert stays_only_run.report.status == "succeeded"
    assert stays_only_run.layout.gold_path.exists()


def test_every_entity_has_a_bronze_table_even_when_absent(stays_only_run):
    with duckdb.connect(str(stays_only_run.layout.bronze_path), read_only=True) as con:
        counts = {
            entity: con.sql(f"select count(*) from {entity}").fetchall()[0][0]
            for entity in ENTITIES
        }
    assert counts.pop("stays") == stays_only_run.stays
    assert set(counts.values()) == {0}


def test_every_guest_with_a_stay_is_scored(stays_only_run):
    with duckdb.connect(str(stays_only_run.layout.gold_path), read_only=True) as con:
        guests, scored = con.sql(
            "select count(*), count(churn_probability) from guest_360 where lifetime_stays > 0"
        ).fetchall()[0]
    assert guests > 0
    assert scored == guests


def test_bronze_rows_equal_silver_plus_quarantine(stays_only_run):
    from guestloyalty.operations.status import collect_status

    stays = next(e for e in collect_status(stays_only_run.layout).entities if e.entity == "stays")
    assert stays.bronze_rows == stays_only_run.stays
    assert stays.reconciled
    late = next(b for b in stays.batches if b.source_file.endswith("late_export.csv"))
    assert (late.bronze_rows, late.silver_rows, late.quarantined_rows) == (3, 0, 3)
    for rule in ("check_in_date_unparseable", "total_revenue_negative", "guest_id_blank"):
        assert stays.quarantine_by_rule.get(rule, 0) >= 1


def test_transform_alone_creates_the_layer_folders(stays_only_run, tmp_path):
    """Bronze copied in from elsewhere: `transform` must not need silver/ to exist."""
    import shutil

    from guestloyalty.operations.pipeline import stage_transform

    layout = Layout(tmp_path / "copied")
    layout.bronze_path.parent.mkdir(parents=True)
    shutil.copy(stays_only_run.layout.bronze_path, layout.bronze_path)

    result = stage_transform(layout, Settings(data_dir=layout.data_dir, seed=11))

    assert result["dbt_nodes_passed"] > 0
    assert layout.silver_path.exists()
    with duckdb.connect(str(layout.gold_build_path), read_only=True) as con:
        assert con.sql("select count(*) from guest_feature_snapshots").fetchall()[0][0] > 0
