"""One small world, run through the whole pipeline once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from guestloyalty.config import Settings
from guestloyalty.operations.pipeline import RunReport, run_pipeline
from guestloyalty.warehouse import Layout

SMALL_WORLD_GUESTS = 3_000


@dataclass(frozen=True)
class PipelineRun:
    layout: Layout
    settings: Settings
    report: RunReport


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    data_dir: Path = tmp_path_factory.mktemp("world")
    layout = Layout(data_dir)
    settings = Settings(data_dir=data_dir, seed=7)
    report = run_pipeline(
        layout, settings, generate=True, guests=SMALL_WORLD_GUESTS, report=lambda _: None
    )
    return PipelineRun(layout, settings, report)


@dataclass(frozen=True)
class BaseWorld:
    """A pristine copy of the small world after one good run, to clone per test."""

    data_dir: Path
    gold_digest: str
    gold_counts: dict[str, int]


@pytest.fixture(scope="session")
def base_world(small_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> BaseWorld:
    from trust_support import clone_world, file_digest, gold_counts

    target = tmp_path_factory.mktemp("base") / "data"
    layout = clone_world(small_run.layout.data_dir, target)
    return BaseWorld(target, file_digest(layout.gold_path), gold_counts(layout.gold_path))


@dataclass(frozen=True)
class RerunUnderLoad:
    """The base world run again (same files, same seed) by two competing pipeline processes
    while three analysts query gold read-only; see test_concurrency and test_idempotency."""

    layout: Layout
    old_model_version: str
    return_codes: list[int]
    stderr: list[str]
    analyst_reports: list[dict]


@pytest.fixture(scope="session")
def rerun_under_load(
    base_world: BaseWorld, tmp_path_factory: pytest.TempPathFactory
) -> RerunUnderLoad:
    import json
    import subprocess
    import sys

    import duckdb
    from trust_support import cli_env, clone_world, pipeline_args

    work = tmp_path_factory.mktemp("rerun")
    layout = clone_world(base_world.data_dir, work / "data")
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        [(old_version,)] = con.execute(
            "select any_value(model_version) from guest_scores"
        ).fetchall()
    stop = work / "stop"
    probe = Path(__file__).with_name("analyst_probe.py")
    analysts = [
        subprocess.Popen(
            [sys.executable, str(probe), str(layout.gold_path), str(stop), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flags in ([], [], ["--persistent"])
    ]
    try:
        runs = [
            subprocess.Popen(
                pipeline_args(layout),
                env=cli_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        errors = [run.communicate(timeout=900)[1] for run in runs]
    finally:
        stop.touch()
        reports = [
            json.loads(analyst.communicate(timeout=120)[0].strip().splitlines()[-1])
            for analyst in analysts
        ]
    return RerunUnderLoad(layout, old_version, [run.returncode for run in runs], errors, reports)
