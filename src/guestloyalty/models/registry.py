"""Model registry: versioned artifacts in safe formats, checksums, and a registry table.

Artifacts live in ``<data>/models/<version>/`` with a ``manifest.json`` holding every file's
SHA-256 (checked on every load) plus the run's metadata. ``promoted.json`` names the version
scoring uses. Each training run appends one row per model to ``model_registry`` in the state
file, which every published gold carries. Nothing is ever pickled: loading a pickle runs code.

Artifact formats (every one is readable without xgboost or scikit-learn):

=================== =========================================================================
``manifest.json``   ``{"version", "files": {name: sha256}, "mode": "xgboost"|"btyd",
                    "churn_features": [...], "clv_features": [...], "churn_best_iteration",
                    "clv_best_iteration", "horizon_days", "metrics", ...}``. Model inputs are
                    the gold snapshot columns named there, in that order; names starting with
                    ``btyd_`` come from the baseline (they are also stored per guest in
                    ``gold.guest_scores``).
``churn.json``      xgboost JSON model (``Booster.save_raw("json")``), ``binary:logistic``:
                    raw P(churn) = sigmoid(base_score margin + sum of tree leaves) over trees
                    ``[0, churn_best_iteration]``. Missing values follow ``default_left``.
``clv.json``        xgboost JSON model, ``reg:tweedie``: exp(margin) over trees
                    ``[0, clv_best_iteration]``, floored at 0; with the manifest's
                    ``clv_blend`` (``{"method": "geometric_with_churn",
                    "mean_return_revenue": m}``) CLV = sqrt(that x (1 - P(churn)) x m)
                    (``clv.blend_with_churn``); without it, that alone.
``*_validated.json`` ``churn_validated.json``, ``calibration_validated.json``,
                    ``clv_validated.json``: where the boosters above were refitted one snapshot
                    fresher after validation (the manifest's ``validated``: their best
                    iterations and ``clv_blend``), the ones the validation figures and the
                    report's curves come from; scoring never applies them.
``calibration.json`` ``{"method": "isotonic", "x": [...], "y": [...]}`` (piecewise-linear
                    interpolation, clipped at the ends) or ``{"method": "platt", "a", "b"}``
                    (sigmoid(a * logit(p) + b)); see ``churn.apply_calibration``.
``btyd.json``       BG/NBD and Gamma-Gamma parameters (``btyd.to_json`` documents), fitted on
                    the stay history before the current snapshot; time unit in ``unit_days``.
``segments.json``   k-means scaler (median fill, mean, scale), standardised and raw
                    centroids, per-column transform (``raw`` / ``log`` = log1p), ids, names;
                    assignment is the nearest centroid (``segments.assign``).
``tiers.json``      CLV tier cut-offs ``[{"tier", "min_clv"}]``, highest tier first.
``drift.json``      per-feature decile edges and training shares (``drift.reference``).
``survival.json``   xgboost JSON model, ``binary:logistic``: the time-to-next-stay hazard, P(a
                    stay within one period) from ``survival.SURVIVAL_FEATURES``; period, best
                    iteration and features in the manifest's ``hazard_models``.
``blend.json``      the same, boosted from BG/NBD's log-odds of a stay in the period (the
                    base margin, from ``btyd.json``).
=================== =========================================================================

The manifest's ``churn_source`` / ``clv_source`` (``classifier``, ``btyd``, ``survival``,
``blend``) say which candidate scoring applies to each task, ``next_stay_model`` which hazard
model gives ``p_no_stay_horizon`` and ``next_stay_date_if_return``, and ``selection`` the
rolling-origin backtest that chose them (``training.selection``).

In ``mode = "btyd"`` (too little labeled history) there is no ``churn.json`` / ``clv.json``:
churn is ``btyd_p_no_stay`` and CLV ``btyd_expected_spend``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from guestloyalty.errors import ArtifactIntegrityError, ModelNotFoundError
from guestloyalty.warehouse import Layout, connect

REGISTRY_DDL = """
create table if not exists model_registry (
    model_version varchar,
    model_name varchar,
    algorithm varchar,
    parameters varchar,
    features varchar,
    train_snapshots varchar,
    valid_snapshot date,
    train_rows bigint,
    valid_rows bigint,
    metrics varchar,
    training_seconds double,
    trained_at timestamp,
    is_promoted boolean,
    note varchar
)
"""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_version() -> str:
    return dt.datetime.now(dt.UTC).strftime("v%Y%m%dT%H%M%S%f")


@dataclass
class ModelBundle:
    """One training run's artifacts, as written to its version folder."""

    version: str
    folder: Path
    manifest: dict[str, object] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        """Path of an artifact, checked against the manifest's checksum."""
        target = self.folder / name
        expected = self.manifest.get("files", {}).get(name)  # type: ignore[union-attr]
        if expected is None:
            raise ArtifactIntegrityError(f"{target}: not listed in {self.folder}/manifest.json")
        if not target.exists() or sha256_file(target) != expected:
            raise ArtifactIntegrityError(
                f"{target}: checksum does not match the manifest; retrain with `guestloyalty train`"
            )
        return target


def save_bundle(
    layout: Layout, version: str, files: dict[str, bytes], *, meta: dict[str, object]
) -> ModelBundle:
    """Write artifact bytes and a manifest with their checksums."""
    folder = layout.models_dir / version
    folder.mkdir(parents=True, exist_ok=False)
    checksums: dict[str, str] = {}
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
        checksums[name] = hashlib.sha256(payload).hexdigest()
    manifest = {"version": version, "files": checksums, **meta}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return ModelBundle(version, folder, manifest)


def promote(layout: Layout, version: str) -> None:
    pointer = layout.models_dir / "promoted.json"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": version}))
    tmp.replace(pointer)


def promoted_version(layout: Layout) -> str | None:
    pointer = layout.models_dir / "promoted.json"
    if not pointer.exists():
        return None
    return json.loads(pointer.read_text())["version"]


def load_promoted(layout: Layout) -> ModelBundle:
    version = promoted_version(layout)
    if version is None:
        raise ModelNotFoundError(
            f"no promoted model in {layout.models_dir}: run `guestloyalty train` first"
        )
    folder = layout.models_dir / version
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ModelNotFoundError(f"{manifest_path} is missing: run `guestloyalty train` again")
    return ModelBundle(version, folder, json.loads(manifest_path.read_text()))


def load_promoted_artifact(layout: Layout, name: str) -> bytes | None:
    """Bytes of one artifact of the promoted version, or None when there is none."""
    try:
        bundle = load_promoted(layout)
    except ModelNotFoundError:
        return None
    if name not in bundle.manifest.get("files", {}):  # type: ignore[operator]
        return None
    return bundle.path(name).read_bytes()


def read_json(bundle: ModelBundle, name: str) -> dict[str, object]:
    return json.loads(bundle.path(name).read_text())


def record(layout: Layout, rows: list[dict[str, object]]) -> None:
    """Append registry rows to the state file."""
    layout.state_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(layout.state_path) as con:
        con.execute(REGISTRY_DDL)
        if any(row.get("is_promoted") for row in rows):
            con.execute("update model_registry set is_promoted = false")
        for row in rows:
            con.execute(
                "insert into model_registry values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    row["model_version"],
                    row["model_name"],
                    row["algorithm"],
                    json.dumps(row.get("parameters", {}), default=str),
                    json.dumps(row.get("features", [])),
                    json.dumps(row.get("train_snapshots", []), default=str),
                    row.get("valid_snapshot"),
                    row.get("train_rows"),
                    row.get("valid_rows"),
                    json.dumps(row.get("metrics", {})),
                    row.get("training_seconds"),
                    row.get("trained_at"),
                    row.get("is_promoted", False),
                    row.get("note"),
                ],
            )
