"""dbt's unit tests (model logic on fixed fixtures), which the nightly builds skip."""

from __future__ import annotations

import shutil

import pytest

from guestloyalty.transform import UNIT_TESTS, run_dbt
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(small_run, tmp_path) -> None:  # noqa: ANN001
    # a copy: unit tests read the upstream relations' columns, and must not touch the session's
    layout = Layout(tmp_path / "copy")
    shutil.copytree(small_run.layout.data_dir, layout.data_dir)
    layout.gold_build_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(layout.gold_path, layout.gold_build_path)

    result = run_dbt(layout, small_run.settings, selection=UNIT_TESTS, command="test")

    assert result.failed == 0
    assert result.passed >= 4  # one per unit test in models/**/_*__unit_tests.yml
