"""Registry: checksums, promotion pointer, registry rows, the promotion gate."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest

from guestloyalty.config import Settings
from guestloyalty.errors import ArtifactIntegrityError, ModelNotFoundError
from guestloyalty.models import registry
from guestloyalty.training import train
from guestloyalty.warehouse import Layout


@pytest.fixture
def layout(tmp_path):
    lay = Layout(tmp_path)
    lay.ensure_dirs()
    return lay


def test_tampered_artifact_is_refused(layout):
    bundle = registry.save_bundle(layout, "v1", {"churn.json": b"{}"}, meta={})
    (bundle.folder / "churn.json").write_bytes(b'{"evil": true}')
    with pytest.raises(ArtifactIntegrityError, match="checksum"):
        bundle.path("churn.json")


def test_unlisted_artifact_is_refused(layout):
    bundle = registry.save_bundle(layout, "v1", {"a.json": b"{}"}, meta={})
    (bundle.folder / "b.json").write_text("{}")
    with pytest.raises(ArtifactIntegrityError, match="not listed"):
        bundle.path("b.json")


def test_promote_and_load(layout):
    with pytest.raises(ModelNotFoundError, match="guestloyalty train"):
        registry.load_promoted(layout)
    registry.save_bundle(layout, "v1", {"tiers.json": b'{"tiers": []}'}, meta={"mode": "btyd"})
    registry.promote(layout, "v1")
    bundle = registry.load_promoted(layout)
    assert bundle.version == "v1"
    assert bundle.manifest["mode"] == "btyd"
    assert registry.load_promoted_artifact(layout, "tiers.json") == b'{"tiers": []}'
    assert registry.load_promoted_artifact(layout, "absent.json") is None


def test_record_keeps_one_promoted_version(layout):
    row = {"model_name": "churn", "algorithm": "x", "metrics": {"auc": 0.9}}
    registry.record(layout, [{**row, "model_version": "v1", "is_promoted": True}])
    registry.record(layout, [{**row, "model_version": "v2", "is_promoted": True}])
    with duckdb.connect(str(layout.state_path), read_only=True) as con:
        rows = con.execute(
            "select model_version, is_promoted, metrics from model_registry order by 1"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("v1", False), ("v2", True)]
    assert json.loads(rows[0][2]) == {"auc": 0.9}


class _Split:
    pass


@pytest.mark.parametrize(
    ("new_auc", "promoted_auc", "expected", "why"),
    [
        (0.90, None, True, "promoted"),
        (0.55, None, False, "below the floor"),
        (0.87, 0.88, True, "promoted"),
        (0.85, 0.875, False, "more than 0.02 below"),
        (float("nan"), None, False, "below the floor"),
    ],
)
def test_gate(monkeypatch, layout, new_auc, promoted_auc, expected, why):
    monkeypatch.setattr(train, "_promoted_auc", lambda *_: promoted_auc)
    settings = Settings(data_dir=layout.data_dir, min_churn_auc=0.6, max_auc_drop=0.02)
    ok, note, _ = train._gate(layout, settings, _Split(), new_auc)
    assert ok is expected
    assert why in note


def test_artifact_formats_are_documented():
    doc = registry.__doc__
    for name in ("churn.json", "clv.json", "calibration.json", "btyd.json", "segments.json"):
        assert name in doc
    assert "pickle" in doc


def test_fallback_reason():
    from guestloyalty.models.features import FeatureFrame

    one = FeatureFrame(
        guest_id=np.array(["a"] * 300, dtype=object),
        snapshot_date=np.full(300, np.datetime64("2024-01-01")),
        X=np.zeros((300, 1), dtype=np.float32),
        feature_names=("x",),
        churned=np.zeros(300, dtype=np.float32),
        future_revenue=np.zeros(300, dtype=np.float32),
    )
    assert "1 labeled snapshot" in train._fallback_reason(one)
