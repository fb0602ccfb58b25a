"""Feature drift: population stability index (PSI) between training and scoring snapshots.

At training time every feature's decile edges and the share of training rows in each bin
(plus the share of missing values) are stored as JSON (``drift.json``). At scoring time the
current snapshot is binned the same way and

    PSI = sum over bins of (score% - train%) * ln(score% / train%)

is written per feature to ``gold.feature_drift`` with a status:

- ``expected`` — a clock input (:data:`CLOCK_FEATURES`: tenure grows by a day a day for every
  guest, so its distribution moves whenever the guest base ages or stops growing); reported,
  never a warning;
- ``warn`` — PSI above the feature's threshold: ``PSI_WARN`` (0.2, the usual "significant
  shift") *on top of* the largest PSI the feature already showed at the origins the model was
  judged on at training time (the calibration and validation snapshots, later than the
  training rows). A model validated while an input had drifted by 0.3 has shown that it copes
  with 0.3; warning about the same shift on every run says nothing;
- ``ok`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

PSI_WARN = 0.2
#: Inputs that only grow with time (tenure): PSI is reported, status ``expected``.
CLOCK_FEATURES: frozenset[str] = frozenset({"days_since_first_stay"})
_BINS = 10
_EPS = 1e-4


def reference(
    X: np.ndarray,
    names: tuple[str, ...] | list[str],
    *,
    origins: Sequence[np.ndarray] = (),
) -> dict[str, object]:
    """Bin edges and training shares of each feature (a JSON-able document), and its warning
    threshold from the PSI it shows at each of ``origins`` (feature matrices of the later
    snapshots the model was judged on, same columns)."""
    features: dict[str, object] = {}
    for j, name in enumerate(names):
        column = np.asarray(X[:, j], dtype=np.float64)
        present = column[~np.isnan(column)]
        edges = (
            np.unique(np.quantile(present, np.linspace(0, 1, _BINS + 1)[1:-1]))
            if len(present)
            else np.array([])
        )
        shares = _shares(column, edges)
        seen = [
            psi(shares, _shares(np.asarray(o[:, j], dtype=np.float64), edges))
            for o in origins
            if len(o)
        ]
        origin_psi = max(seen, default=0.0)
        features[name] = {
            "edges": [float(e) for e in edges],
            "shares": [float(s) for s in shares],
            "origin_psi": float(origin_psi),
            "threshold": float(PSI_WARN + origin_psi),
        }
    return {
        "bins": _BINS,
        "rows": int(len(X)),
        "origins": sum(1 for o in origins if len(o)),
        "features": features,
    }


def threshold(ref: dict[str, object], name: str) -> float:
    """The PSI above which ``name`` warns (``PSI_WARN`` for a reference without origins)."""
    spec = ref["features"].get(name, {})  # type: ignore[union-attr]
    return float(spec.get("threshold", PSI_WARN))


def status(ref: dict[str, object], name: str, value: float) -> str:
    """``expected`` (a clock input), ``warn`` (above its threshold) or ``ok``."""
    if name in CLOCK_FEATURES:
        return "expected"
    return "warn" if value > threshold(ref, name) else "ok"


def _shares(column: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of rows per bin (len(edges) + 1 bins) plus a final bin for missing values."""
    if len(column) == 0:
        return np.zeros(len(edges) + 2)
    missing = np.isnan(column)
    counts = np.bincount(
        np.searchsorted(edges, column[~missing], side="right"), minlength=len(edges) + 1
    )
    return np.r_[counts, missing.sum()] / len(column)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(np.asarray(expected, dtype=np.float64), _EPS)
    a = np.maximum(np.asarray(actual, dtype=np.float64), _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


class Drift(NamedTuple):
    """One input's drift between training and scoring."""

    feature: str
    psi: float
    training_shares: np.ndarray
    scoring_shares: np.ndarray
    threshold: float
    status: str  # ok, warn, expected


def feature_psi(
    ref: dict[str, object], X: np.ndarray, names: tuple[str, ...] | list[str]
) -> list[Drift]:
    """The drift of every feature of ``ref`` found in ``names`` (columns of ``X``)."""
    out = []
    features = ref["features"]
    for j, name in enumerate(names):
        if name not in features:
            continue
        spec = features[name]
        edges = np.asarray(spec["edges"], dtype=np.float64)
        expected = np.asarray(spec["shares"], dtype=np.float64)
        actual = _shares(np.asarray(X[:, j], dtype=np.float64), edges)
        value = psi(expected, actual)
        out.append(
            Drift(name, value, expected, actual, threshold(ref, name), status(ref, name, value))
        )
    return out
