"""Feature drift: population stability index (PSI) between training and scoring snapshots.

At training time every feature's decile edges and the share of training rows in each bin
(plus the share of missing values) are stored as JSON (``drift.json``). At scoring time the
current snapshot is binned the same way and

    PSI = sum over bins of (score% - train%) * ln(score% / train%)

is written per feature to ``gold.feature_drift``. Above 0.2 a feature has shifted enough that
the model's view of it is no longer the one it learned; the run warns.
"""

from __future__ import annotations

import numpy as np

PSI_WARN = 0.2
_BINS = 10
_EPS = 1e-4


def reference(X: np.ndarray, names: tuple[str, ...] | list[str]) -> dict[str, object]:
    """Bin edges and training shares of each feature (a JSON-able document)."""
    features: dict[str, object] = {}
    for j, name in enumerate(names):
        column = np.asarray(X[:, j], dtype=np.float64)
        present = column[~np.isnan(column)]
        edges = (
            np.unique(np.quantile(present, np.linspace(0, 1, _BINS + 1)[1:-1]))
            if len(present)
            else np.array([])
        )
        features[name] = {
            "edges": [float(e) for e in edges],
            "shares": [float(s) for s in _shares(column, edges)],
        }
    return {"bins": _BINS, "rows": int(len(X)), "features": features}


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


def feature_psi(ref: dict[str, object], X: np.ndarray, names: tuple[str, ...] | list[str]):  # noqa: ANN201
    """``[(feature, psi, training shares, scoring shares)]`` for every feature in ``ref``."""
    out = []
    features = ref["features"]
    for j, name in enumerate(names):
        if name not in features:
            continue
        spec = features[name]
        edges = np.asarray(spec["edges"], dtype=np.float64)
        expected = np.asarray(spec["shares"], dtype=np.float64)
        actual = _shares(np.asarray(X[:, j], dtype=np.float64), edges)
        out.append((name, psi(expected, actual), expected, actual))
    return out
