"""Feature drift: population stability index (PSI) between training and scoring snapshots.

At training time every feature's decile edges and the share of training rows in each bin
(plus the share of missing values) are stored as JSON (``drift.json``). At scoring time the
current snapshot is binned the same way and

    PSI = sum over bins of (score% - train%) * ln(score% / train%)

is written per feature to ``gold.feature_drift`` with a status:

- ``expected`` — a clock input (:data:`CLOCK_FEATURES`: tenure grows by a day a day for every
  guest, so its distribution moves whenever the guest base ages or stops growing); reported,
  never a warning;
- ``warn`` — PSI above the feature's threshold, ``ok`` otherwise.

The threshold comes from what the origins showed. At training time every feature's PSI is
measured on the later snapshots the model was judged on (calibration and validation), each
some days after the training rows' mean snapshot date. A feature that drifts with time (a
recency, a rate over a growing base) shows it there already, and a model validated under
that drift has shown that it copes. At scoring time the drift expected for that feature is
its origin PSI scaled to the scoring distance (PSI grows with the square of a small shift in
the mean, the shift with time: ``(scoring days / origin days)^2``, at most
:data:`MAX_SCALE`), and the threshold is ``PSI_WARN`` (0.2, the usual "significant shift")
on top of it. A feature that did not move at the origins keeps 0.2: a jump in it still
warns. A reference without origins (the baseline-only fallback) uses 0.2 for every input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

PSI_WARN = 0.2
#: Inputs that only grow with time (tenure): PSI is reported, status ``expected``.
CLOCK_FEATURES: frozenset[str] = frozenset({"days_since_first_stay"})
#: The largest factor an origin's PSI is scaled by to the scoring distance.
MAX_SCALE = 4.0
_BINS = 10
_EPS = 1e-4


class Origin(NamedTuple):
    """A later snapshot the model was judged on: its feature matrix and date."""

    X: np.ndarray
    snapshot_date: dt.date


def reference(
    X: np.ndarray,
    names: tuple[str, ...] | list[str],
    *,
    snapshot_dates: np.ndarray | None = None,
    origins: Sequence[Origin] = (),
) -> dict[str, object]:
    """Bin edges and training shares of each feature (a JSON-able document), and the PSI each
    shows at ``origins`` (same columns as ``X``; ``snapshot_dates``: one per row of ``X``)."""
    center = _mean_date(snapshot_dates) if snapshot_dates is not None else None
    kept = [o for o in origins if len(o.X) and center is not None]
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
        features[name] = {
            "edges": [float(e) for e in edges],
            "shares": [float(s) for s in shares],
            "origin_psi": [
                psi(shares, _shares(np.asarray(o.X[:, j], dtype=np.float64), edges)) for o in kept
            ],
        }
    return {
        "bins": _BINS,
        "rows": int(len(X)),
        "reference_date": None if center is None else center.isoformat(),
        "origin_days": [max((o.snapshot_date - center).days, 1) for o in kept],  # type: ignore[operator]
        "features": features,
    }


def _mean_date(dates: np.ndarray) -> dt.date | None:
    days = np.asarray(dates).astype("datetime64[D]").astype(np.int64)
    if len(days) == 0:
        return None
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(round(float(days.mean()))))


def threshold(ref: dict[str, object], name: str, *, as_of: dt.date | None = None) -> float:
    """The PSI above which ``name`` warns when scoring as of ``as_of``."""
    spec = ref["features"].get(name, {})  # type: ignore[union-attr]
    seen = spec.get("origin_psi") or []
    days = ref.get("origin_days") or []
    center = ref.get("reference_date")
    if not seen or not days or center is None or as_of is None:
        return PSI_WARN
    distance = max((as_of - dt.date.fromisoformat(str(center))).days, 1)
    expected = max(
        value * min(MAX_SCALE, (distance / origin) ** 2)
        for value, origin in zip(seen, days, strict=True)
    )
    return PSI_WARN + float(expected)


def status(ref: dict[str, object], name: str, value: float, *, limit: float) -> str:
    """``expected`` (a clock input), ``warn`` (above ``limit``) or ``ok``."""
    if name in CLOCK_FEATURES:
        return "expected"
    return "warn" if value > limit else "ok"


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
    ref: dict[str, object],
    X: np.ndarray,
    names: tuple[str, ...] | list[str],
    *,
    as_of: dt.date | None = None,
) -> list[Drift]:
    """The drift of every feature of ``ref`` found in ``names`` (columns of ``X``) in a
    snapshot scored as of ``as_of``."""
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
        limit = threshold(ref, name, as_of=as_of)
        out.append(
            Drift(name, value, expected, actual, limit, status(ref, name, value, limit=limit))
        )
    return out
