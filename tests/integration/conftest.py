"""One small world, run through the whole pipeline once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from guestloyalty.config import Settings
from guestloyalty.pipeline import RunReport, run_pipeline
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
