"""FEATURES and the documented columns of guest_feature_snapshots stay in step."""

from pathlib import Path

import yaml

from guestloyalty.models.features import FEATURES, LIFECYCLE_INPUTS

MARTS = Path(__file__).parents[2] / "dbt_project" / "models" / "marts" / "_marts__models.yml"


def _snapshot_columns() -> list[str]:
    doc = yaml.safe_load(MARTS.read_text())
    (model,) = [m for m in doc["models"] if m["name"] == "guest_feature_snapshots"]
    return [column["name"] for column in model["columns"]]


def test_every_feature_is_a_documented_snapshot_column():
    columns = _snapshot_columns()
    assert [name for name in (*FEATURES, *LIFECYCLE_INPUTS) if name not in columns] == []
    assert not set(FEATURES) & set(LIFECYCLE_INPUTS)


def test_features_are_unique_and_exclude_keys_and_labels():
    assert len(set(FEATURES)) == len(FEATURES)
    assert not {"guest_id", "snapshot_date", "is_labeled", "churned", "future_revenue"} & set(
        FEATURES
    )
