"""A run that crashes, is killed, fills the disk or fails a check leaves gold untouched.

Each kill is a real SIGKILL of a subprocess-run pipeline: either injected at a named point
(``GUESTLOYALTY_FAULT``, see ``guestloyalty.faults``) or sent from outside mid-stage. After
each one, gold must be byte for byte the last good run's and open with all its rows; the next
run must complete without anyone cleaning up.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from trust_support import (
    SEED,
    assert_gold_untouched,
    bronze_counts,
    cli_env,
    clone_world,
    file_digest,
    gold_counts,
    gold_digests,
    pipeline_args,
    run_cli,
    run_pipeline_cli,
)

from guestloyalty import faults
from guestloyalty.config import Settings
from guestloyalty.errors import DiskFullError
from guestloyalty.faults import FAULT_ENV
from guestloyalty.ingest.trust import trust_mapping
from guestloyalty.operations.pipeline import RunReport, run_pipeline, stage_publish
from guestloyalty.operations.status import collect_status
from guestloyalty.transform import dbt_project_dir
from guestloyalty.warehouse import Layout, start_gold_build

pytestmark = pytest.mark.integration

NEW_GUESTS = 20
KILLED = -signal.SIGKILL


def _add_late_arrivals(layout: Layout) -> Path:
    """A new stays export: NEW_GUESTS unseen guests with two stays each."""
    path = layout.landing_entity_dir("stays") / "late_arrivals.csv"
    lines = ["stay_id,guest_id,property_id,check_in_date,check_out_date,nights,total_revenue"]
    for index in range(NEW_GUESTS):
        guest = f"N{index:07d}"
        first = dt.date(2024, 3, 1) + dt.timedelta(days=index)
        second = dt.date(2025, 2, 1) + dt.timedelta(days=index)
        lines.append(f"LA{index:05d}a,{guest},LIS-CITY,{first},{first + dt.timedelta(2)},2,310.50")
        lines.append(f"LA{index:05d}b,{guest},OPO-CITY,{second},{second + dt.timedelta(1)},1,120")
    path.write_text("\n".join(lines) + "\n")
    return path


CORPUS = Path(__file__).parents[1] / "fixtures" / "bad_inputs"
#: Loadable files of the ingest corpus (tests/fixtures/bad_inputs/expected.yaml, exit 0):
#: file -> (rows, folder mapping or None). Some of their rows fail silver's rules.
CORPUS_FILES = {
    "stays/bom.csv": (3, None),
    "stays/crlf_blank_lines.csv": (3, None),
    "stays/quoted_fields.csv": (4, None),
    "stays/bad_values.csv": (4, None),
    "stays/semicolon.csv": (3, "mappings/semicolon.yaml"),
}
CORPUS_ROWS = sum(rows for rows, _ in CORPUS_FILES.values())


def _add_bad_input_corpus(layout: Layout) -> None:
    """The corpus's loadable files, each in its own landing folder (with its mapping.yaml)."""
    for index, (name, (_, mapping)) in enumerate(sorted(CORPUS_FILES.items())):
        folder = layout.landing_entity_dir("stays") / f"corpus_{index}"
        folder.mkdir(parents=True)
        shutil.copy2(CORPUS / name, folder / Path(name).name)
        if mapping:
            shutil.copy2(CORPUS / mapping, folder / "mapping.yaml")
            trust_mapping(layout, folder / "mapping.yaml")  # the operator's step (issue 23)


def _kill_from_outside_during(layout: Layout, stage: str, *, delay: float) -> int:
    """Start a run, SIGKILL it ``delay`` seconds into ``stage``; returns its exit status."""
    process = subprocess.Popen(
        pipeline_args(layout),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith(f"[{stage}] ..."):
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                break
        return process.wait(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wal_files(layout: Layout) -> list[Path]:
    return sorted(layout.data_dir.rglob("*.wal"))


def test_killed_at_every_stage_gold_survives_and_the_next_run_completes(base_world, tmp_path):
    """New exports arrive (good rows and the ingest corpus's bad-but-loadable files); the run
    is killed at every stage in turn; then a run with no help from anyone completes, with the
    bad rows in quarantine and `status` reporting them."""
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    digest, counts = base_world.gold_digest, base_world.gold_counts
    bronze_before = bronze_counts(layout)
    _add_late_arrivals(layout)
    _add_bad_input_corpus(layout)

    # 1. ingest: rows inserted into bronze, transaction not committed.
    result = run_pipeline_cli(layout, fault="ingest:in_transaction")
    assert result.returncode == KILLED, result.stderr
    assert_gold_untouched(layout, digest, counts)
    assert bronze_counts(layout) == bronze_before, "a half-loaded file is visible in bronze"

    # 2. dbt: killed after the 8th node, silver and the build file half written.
    result = run_pipeline_cli(layout, fault="transform:dbt_node", fault_after=8)
    assert result.returncode == KILLED, result.stderr
    assert_gold_untouched(layout, digest, counts)
    assert layout.gold_build_path.exists()
    bronze_after = bronze_counts(layout)
    assert bronze_after["stays"] == bronze_before["stays"] + 2 * NEW_GUESTS + CORPUS_ROWS
    assert bronze_after["_load_manifest"] == bronze_before["_load_manifest"] + 1 + len(CORPUS_FILES)

    # 3. training: SIGKILL from outside, mid-fit.
    assert _kill_from_outside_during(layout, "train", delay=1.0) == KILLED
    assert_gold_untouched(layout, digest, counts)

    # 4. scoring: guest_scores written to the build and the history, nothing published.
    result = run_pipeline_cli(layout, fault="score:end")
    assert result.returncode == KILLED, result.stderr
    assert_gold_untouched(layout, digest, counts)

    # 5. publish: build complete and fsynced, killed just before the rename.
    result = run_pipeline_cli(layout, fault="publish:before_rename")
    assert result.returncode == KILLED, result.stderr
    assert_gold_untouched(layout, digest, counts)
    assert bronze_counts(layout) == bronze_after, "a rerun loaded a file twice"

    # A rerun, with no clean-up by anyone, completes and publishes the new data.
    result = run_pipeline_cli(layout)
    assert result.returncode == 0, result.stderr
    assert "stopped before finishing" in result.stderr
    assert file_digest(layout.gold_path) != digest
    after = gold_counts(layout.gold_path)
    # the late arrivals, plus the corpus's guests whose rows passed the rules
    assert after["guest_360"] >= counts["guest_360"] + NEW_GUESTS
    assert not layout.build_dir.exists()
    assert _wal_files(layout) == []
    assert bronze_counts(layout) == bronze_after
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        [(late_scored,)] = con.execute(
            "select count(*) from guest_scores where guest_id like 'N%'"
        ).fetchall()
        assert late_scored == NEW_GUESTS
        statuses = dict(
            con.execute("select status, count(*) from run_log group by status").fetchall()
        )
    assert statuses.get("interrupted") == 5
    assert statuses.get("succeeded") == 2
    _bad_rows_are_quarantined_and_reported(layout)


def _bad_rows_are_quarantined_and_reported(layout: Layout) -> None:
    with duckdb.connect(str(layout.silver_path), read_only=True) as con:
        rules = dict(
            con.execute(
                "select failed_rule, count(*) from quarantine "
                "where entity = 'stays' and _source_file like '%corpus_%' group by 1"
            ).fetchall()
        )
    assert sum(rules.values()) >= 4  # bad_values.csv: negative, bad date, no guest, not a number
    assert len(rules) >= 3, rules
    status = collect_status(layout)
    stays = next(entity for entity in status.entities if entity.entity == "stays")
    assert stays.reconciled is True
    assert stays.quarantined_rows >= sum(rules.values())
    assert set(rules) <= set(stays.quarantine_by_rule)
    text = run_cli(layout, "status")
    assert text.returncode == 0, text.stderr
    output = text.stdout + text.stderr
    assert "quarantine" in output
    assert any(rule in output for rule in rules)


def _failing_dbt_project(tmp_path: Path) -> Path:
    """A copy of the dbt project with one data test that fails on any data."""
    source = dbt_project_dir()
    project = tmp_path / "dbt_project"
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("target", "logs"))
    (tmp_path / "seeds").symlink_to(source.parent / "seeds")  # seed-paths: ../seeds
    (project / "tests" / "trust_revenue_is_negative.sql").write_text(
        "-- fails on every stay: simulates a data test that catches bad data\n"
        "select * from {{ ref('stg_bronze__stays') }} where total_revenue >= 0\n"
    )
    return project


def test_a_failing_dbt_test_leaves_gold_untouched(base_world, tmp_path):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    project = _failing_dbt_project(tmp_path)
    result = subprocess.run(
        pipeline_args(layout),
        env=cli_env(GUESTLOYALTY_DBT_PROJECT=str(project)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 2
    assert "trust_revenue_is_negative" in result.stderr
    assert "Traceback" not in result.stderr
    assert_gold_untouched(layout, base_world.gold_digest, base_world.gold_counts)
    with duckdb.connect(str(layout.state_path), read_only=True) as con:
        [(status, message)] = con.execute(
            "select status, message from run_log order by started_at desc limit 1"
        ).fetchall()
    assert status == "failed"
    assert "dbt build failed" in message


def test_a_full_disk_fails_the_run_clearly_and_leaves_gold_untouched(
    base_world, tmp_path, monkeypatch
):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    monkeypatch.setenv(FAULT_ENV, "transform:start=enospc")
    faults.reset()
    with pytest.raises(DiskFullError, match="during transform.*gold is unchanged"):
        run_pipeline(layout, Settings(data_dir=layout.data_dir, seed=SEED), report=lambda _: None)
    assert_gold_untouched(layout, base_world.gold_digest, base_world.gold_counts)
    with duckdb.connect(str(layout.state_path), read_only=True) as con:
        [(status, message)] = con.execute(
            "select status, message from run_log order by started_at desc limit 1"
        ).fetchall()
    assert status == "failed"
    assert "No space left on device" in message


def test_a_full_disk_while_publishing_leaves_gold_untouched(base_world, tmp_path, monkeypatch):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    shutil.copy2(layout.gold_path, start_gold_build(layout))  # a finished build to publish
    monkeypatch.setenv(FAULT_ENV, "publish:copy_state=enospc")
    faults.reset()
    with pytest.raises(OSError, match="No space left"):
        stage_publish(layout, RunReport(run_id="test"))
    assert_gold_untouched(layout, base_world.gold_digest, base_world.gold_counts)


# --- soak variants (`make soak`): every point on its own, and a real full disk ------------

SOAK_POINTS = [
    "ingest:start",
    "ingest:in_transaction",
    "ingest:end",
    "transform:dbt_node",
    "transform:end",
    "train:start",
    "train:end",
    "score:start",
    "score:end",
    "post_scoring:end",
    "publish:copy_state",
    "publish:before_rename",
    "publish:after_rename",
]


@pytest.mark.soak
@pytest.mark.parametrize("point", SOAK_POINTS)
def test_soak_killed_at_one_point_then_rerun(point, base_world, tmp_path):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    _add_late_arrivals(layout)
    result = run_pipeline_cli(
        layout, fault=point, fault_after=12 if point == "transform:dbt_node" else None
    )
    assert result.returncode == KILLED, result.stderr
    if point == "publish:after_rename":  # the new gold is out; only the clean-up is missing
        assert gold_counts(layout.gold_path)["guest_360"] == (
            base_world.gold_counts["guest_360"] + NEW_GUESTS
        )
    else:
        assert_gold_untouched(layout, base_world.gold_digest, base_world.gold_counts)
    result = run_pipeline_cli(layout)
    assert result.returncode == 0, result.stderr
    after = gold_counts(layout.gold_path)
    assert after["guest_360"] == base_world.gold_counts["guest_360"] + NEW_GUESTS
    assert not layout.build_dir.exists()
    assert _wal_files(layout) == []


@pytest.mark.soak
def test_soak_killed_from_outside_during_every_stage(base_world, tmp_path):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    for stage in ("ingest", "transform", "train", "score", "post_scoring", "publish"):
        status = _kill_from_outside_during(layout, stage, delay=0.05)
        assert status in (KILLED, 0)
        if status == KILLED and stage != "publish":
            assert_gold_untouched(layout, base_world.gold_digest, base_world.gold_counts)
        gold_counts(layout.gold_path)  # opens, whatever the moment of the kill
    assert run_pipeline_cli(layout).returncode == 0
    assert not layout.build_dir.exists()


def _tmpfs_kb_to_hold(source: Path) -> int:
    """KiB a tmpfs needs for what ``clone_world`` copies: whole pages per file and directory."""
    page = 4096
    skipped = {".pipeline.lock", "logs"}
    total = page  # the top directory
    for path in source.rglob("*"):
        if skipped & set(path.relative_to(source).parts):
            continue
        if path.is_symlink() or path.is_dir():
            total += page
        elif path.is_file():
            total += -(-path.stat().st_size // page) * page + page
    return total // 1024


@pytest.mark.soak
def test_soak_a_real_full_disk(base_world, tmp_path):
    """The data directory on a tmpfs with ~1 MB to spare: the run fails, gold survives."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    size_kb = _tmpfs_kb_to_hold(base_world.data_dir) + 1024  # what clone_world copies, + 1 MB
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk)])
    if mounted.returncode != 0:
        pytest.skip("could not mount a tmpfs here")
    try:
        layout = clone_world(base_world.data_dir, disk / "data")
        digest = file_digest(layout.gold_path)
        result = run_pipeline_cli(layout)
        assert result.returncode == 2, result.stderr
        assert "no space left" in result.stderr.lower()
        assert "Traceback" not in result.stderr
        assert_gold_untouched(layout, digest, base_world.gold_counts)
        subprocess.run(["mount", "-o", "remount,size=512m", str(disk)], check=True)
        result = run_pipeline_cli(layout)
        assert result.returncode == 0, result.stderr
        assert gold_counts(layout.gold_path)["guest_scores"] > 0
    finally:
        subprocess.run(["umount", "-l", str(disk)])


@pytest.mark.soak
def test_soak_a_model_failing_the_gate_keeps_the_promoted_one_and_gold_scores(base_world, tmp_path):
    """A new model below the AUC floor is registered, not promoted; scoring keeps the promoted
    model, so gold's scores are the last good run's."""
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    before = gold_digests(layout.gold_path, {"guest_scores"})
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        [(version,)] = con.execute("select any_value(model_version) from guest_scores").fetchall()
    settings = Settings(data_dir=layout.data_dir, seed=SEED, min_churn_auc=1.0)
    run = run_pipeline(layout, settings, report=lambda _: None)
    assert run.status == "succeeded"
    assert run.details["train"]["promoted"] is False
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        [(now_version,)] = con.execute(
            "select any_value(model_version) from guest_scores"
        ).fetchall()
        notes = con.execute(
            "select note from model_registry where not is_promoted and note like 'not promoted%'"
        ).fetchall()
    assert now_version == version
    assert notes
    assert gold_digests(layout.gold_path, {"guest_scores"}) == before
