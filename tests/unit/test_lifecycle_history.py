"""Stages per run in the score history: the previous run's stage and P(alive) come back."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from guestloyalty.scoring import score
from guestloyalty.warehouse import Layout


def _history(layout: Layout) -> None:
    previous = pa.table(
        {
            "guest_id": ["a", "b", "c"],
            "as_of_date": pa.array([dt.date(2025, 1, 31)] * 3, pa.date32()),
            "lifecycle_stage": ["active", "lapsed", "new"],
            "p_alive_btyd": pa.array([0.9, 0.2, None], pa.float64()),
        }
    )
    score._append_history(layout, previous, dt.date(2025, 1, 31))


def test_previous_run_aligns_stage_and_p_alive_with_todays_guests(tmp_path):
    layout = Layout(tmp_path)
    _history(layout)
    previous = score._previous_run(
        layout, dt.date(2025, 2, 28), np.array(["c", "zz", "a", "b"], dtype=object)
    )
    assert previous is not None
    assert previous.as_of == dt.date(2025, 1, 31) and previous.days_before == 28
    assert previous.stage.tolist() == ["new", None, "active", "lapsed"]
    np.testing.assert_allclose(previous.p_alive, [np.nan, np.nan, 0.9, 0.2])


def test_no_previous_run_without_history_or_for_the_same_day(tmp_path):
    layout = Layout(tmp_path)
    assert score._previous_run(layout, dt.date(2025, 2, 28), np.array(["a"], object)) is None
    _history(layout)
    assert score._previous_run(layout, dt.date(2025, 1, 31), np.array(["a"], object)) is None
