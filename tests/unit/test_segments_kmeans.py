"""Segments: k by silhouette, names from centroids, stable ids across runs."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.models import segments
from guestloyalty.models.features import FeatureFrame

NAMES = ("days_since_last_stay", "stays_count", "avg_stay_revenue", "ancillary_share")


def _blobs(n: int = 600, seed: int = 0, shift: float = 0.0) -> FeatureFrame:
    """Three clear kinds of guest: dormant one-timers, frequent regulars, big spenders."""
    rng = np.random.default_rng(seed)
    third = n // 3
    dormant = np.column_stack(
        [
            rng.normal(900, 60, third),
            np.ones(third),
            rng.normal(200, 20, third),
            rng.normal(0.1, 0.02, third),
        ]
    )
    regular = np.column_stack(
        [
            rng.normal(30, 8, third),
            rng.normal(20, 2, third),
            rng.normal(220, 20, third),
            rng.normal(0.15, 0.02, third),
        ]
    )
    lux = np.column_stack(
        [
            rng.normal(200, 30, third),
            rng.normal(3, 0.5, third),
            rng.normal(2500, 200, third),
            rng.normal(0.5, 0.04, third),
        ]
    )
    X = np.vstack([dormant, regular, lux]) * (1 + shift)
    X[:, 3] = np.clip(X[:, 3], 0, 1)
    X[:, 1] = np.maximum(X[:, 1], 1)
    return FeatureFrame(
        guest_id=np.array([f"G{i:05d}" for i in range(len(X))], dtype=object),
        snapshot_date=np.full(len(X), np.datetime64("2025-01-01")),
        X=X.astype(np.float32),
        feature_names=NAMES,
    )


def test_k_is_chosen_by_silhouette():
    doc = segments.fit_segments(_blobs(), k_range=(2, 6), seed=1)
    assert doc["k"] == 3


def test_names_come_from_centroids_and_are_unique():
    frame = _blobs()
    doc = segments.fit_segments(frame, k_range=(3, 3), seed=1)
    assert len(set(doc["names"])) == 3
    _, names = segments.assign(doc, frame)
    assert names[0] == "dormant"  # the first third are dormant one-timers
    assert names[-1] == "luxury seeker"


def test_same_data_same_assignment():
    frame = _blobs()
    a = segments.fit_segments(frame, k_range=(2, 5), seed=1)
    b = segments.fit_segments(frame, k_range=(2, 5), seed=1)
    assert np.array_equal(segments.assign(a, frame)[0], segments.assign(b, frame)[0])
    assert a["names"] == b["names"]


def test_a_later_run_keeps_ids_and_names():
    first = segments.fit_segments(_blobs(seed=0), k_range=(3, 3), seed=1)
    later_frame = _blobs(seed=5, shift=0.05)
    later = segments.fit_segments(later_frame, k_range=(3, 3), seed=99, previous=first)
    by_name_first = dict(zip(first["names"], first["ids"], strict=True))
    by_name_later = dict(zip(later["names"], later["ids"], strict=True))
    assert by_name_first == by_name_later
    assert later["summary"]["matched_previous"]


def test_assignment_needs_no_sklearn_and_matches_kmeans():
    frame = _blobs()
    doc = segments.fit_segments(frame, k_range=(3, 3), seed=1)
    ids, _ = segments.assign(doc, frame)
    # Every guest sits closest to its own centroid in the stored standardised space.
    assert len(np.unique(ids)) == 3
    assert set(ids.tolist()) == set(doc["ids"])


def test_missing_values_take_the_median():
    frame = _blobs()
    X = frame.X.copy()
    X[0, 2] = np.nan
    doc = segments.fit_segments(frame, k_range=(3, 3), seed=1)
    holed = FeatureFrame(frame.guest_id, frame.snapshot_date, X, frame.feature_names)
    ids, _ = segments.assign(doc, holed)
    assert ids[0] in doc["ids"]


def test_no_behaviour_columns_is_an_error():
    frame = FeatureFrame(
        guest_id=np.array(["a"], dtype=object),
        snapshot_date=np.array(["2025-01-01"], dtype="datetime64[D]"),
        X=np.zeros((1, 1), dtype=np.float32),
        feature_names=("unrelated",),
    )
    with pytest.raises(ValueError, match="no behaviour columns"):
        segments.fit_segments(frame)


def test_defining_traits_in_words():
    doc = segments.fit_segments(_blobs(), k_range=(3, 3), seed=1)
    traits = segments.defining_traits(doc)
    assert set(traits) == set(doc["ids"])
    assert all("typical" in text for text in traits.values())


def test_moved_guests_are_counted_against_the_previous_run(tmp_path):
    import datetime as dt

    from guestloyalty.scoring import score

    layout = _previous_run(tmp_path)  # a in segment 1, b and c in 2
    scored = _scored(["a", "b", "c", "d"], [1, 1, 2, 3], ["x", "x", "y", "z"])
    moved, before = score._previous_segments(layout, dt.date(2025, 2, 28), scored)
    assert moved == 1  # b went from 2 to 1; d is new, not a move
    np.testing.assert_array_equal(before, [1.0, 2.0, 2.0, np.nan])  # aligned with guest_id


def test_segment_profiles_count_guests_moved_in(tmp_path):
    import datetime as dt

    from guestloyalty.scoring import score

    layout = _previous_run(tmp_path)  # a in segment 1, b and c in 2
    # a stays in 1, b moves 2 -> 1, c moves 2 -> 3, d is new in 3
    scored = _scored(["a", "b", "c", "d"], [1, 1, 3, 3], ["x", "x", "z", "z"])
    _, before = score._previous_segments(layout, dt.date(2025, 2, 28), scored)
    bundle = type("Bundle", (), {"manifest": {"files": {}}})()
    full = score.FeatureFrame(
        guest_id=scored.guest_id,
        snapshot_date=np.zeros(4, dtype="datetime64[D]"),
        X=np.zeros((4, 1), dtype=np.float32),
        feature_names=("stays_count",),
    )

    table = score._profiles_table(bundle, scored, full, before, dt.date(2025, 2, 28))

    segments_, moved = table["segment"].to_pylist(), table["guests_moved_in"].to_pylist()
    moved_in = dict(zip(segments_, moved, strict=True))
    assert moved_in == {"x": 1, "z": 1}


def _previous_run(tmp_path):  # noqa: ANN001, ANN202
    """A data dir whose score history holds one earlier run (2025-01-31)."""
    import datetime as dt

    import pyarrow as pa

    from guestloyalty.scoring import score
    from guestloyalty.warehouse import Layout

    layout = Layout(tmp_path)
    previous = pa.table(
        {
            "guest_id": ["a", "b", "c"],
            "as_of_date": pa.array([dt.date(2025, 1, 31)] * 3, pa.date32()),
            "segment_id": pa.array([1, 2, 2], pa.int32()),
        }
    )
    score._append_history(layout, previous, dt.date(2025, 1, 31))
    return layout


def _scored(guests: list[str], segment_ids: list[int], names: list[str]):  # noqa: ANN202
    from guestloyalty.scoring import score

    n = len(guests)
    return score.Scored(
        guest_id=np.array(guests, dtype=object),
        churn_probability=np.zeros(n),
        churn_risk=np.array(["LOW"] * n, dtype=object),
        clv_horizon=np.zeros(n),
        clv_tier=np.array(["BRONZE"] * n, dtype=object),
        max_retention_spend=np.zeros(n),
        segment_id=np.array(segment_ids, dtype=object),
        segment=np.array(names, dtype=object),
        baseline=np.zeros((n, 4)),
        model_version="v2",
        mode="xgboost",
    )
