"""The classifier is judged on its validation snapshot with labels that stop at that snapshot."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.config import Settings
from guestloyalty.models.baseline import StayLog
from guestloyalty.models.features import FeatureFrame
from guestloyalty.training import train

D = np.datetime64


class _Captured(Exception):
    pass


def test_labels_are_cut_at_the_validation_snapshot(monkeypatch):
    snapshots = np.array(
        ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"],
        dtype="datetime64[D]",
    )
    guests = np.array([f"G{i}" for i in range(300)], dtype=object)
    rows = len(snapshots) * len(guests)
    frame = FeatureFrame(
        guest_id=np.tile(guests, len(snapshots)),
        snapshot_date=np.repeat(snapshots, len(guests)),
        X=np.random.default_rng(0).random((rows, 2)).astype(np.float32),
        feature_names=("a", "b"),
        churned=np.zeros(rows, dtype=np.float32),  # the marts' labels: ignored
        future_revenue=np.full(rows, 1e6, dtype=np.float32),
    )
    # G0 stays on the validation day (the future for every cut label); G1 in March;
    # the rest never again.
    stays = StayLog(
        guest_id=np.array(["G0", "G1"], dtype=object),
        check_in=np.array(["2024-06-01", "2024-03-15"], dtype="datetime64[D]"),
        revenue=np.array([100.0, 50.0]),
    )
    seen = {}

    def capture(split, **_):  # noqa: ANN001, ANN003
        seen["split"] = split
        raise _Captured

    monkeypatch.setattr(train.churn, "train_churn", capture)
    monkeypatch.setattr(train, "MIN_LABELED_ROWS", 10)
    settings = Settings(horizon_days=180, seed=1)
    with pytest.raises(_Captured):
        train._classifier_at(frame, stays, settings, max_rows=10_000)
    split = seen["split"]
    used = {
        str(d)
        for d in np.unique(np.concatenate([split.train.snapshot_date, split.calib.snapshot_date]))
    }
    # windows of at least half the horizon (90 days) before 2024-06-01
    assert used == {"2024-01-01", "2024-02-01", "2024-03-01"}
    assert str(split.calib_snapshot) == "2024-03-01"  # the latest usable one
    assert (split.valid.snapshot_date == D("2024-06-01")).all()
    for part in (split.train, split.calib):
        g0 = part.churned[part.guest_id == "G0"]
        assert (g0 == 1).all()  # the stay on the validation day is not in any cut window
        g1 = part.churned[part.guest_id == "G1"]
        assert (g1 == 0).all()  # March 15 lies inside every cut window used
        assert part.future_revenue.max() < 1e6  # labels recomputed, not the marts'
