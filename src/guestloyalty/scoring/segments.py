"""Segments. A first rule-based cut on recency, frequency and value (k-means comes later)."""

from __future__ import annotations

import numpy as np

from guestloyalty.scoring.features import FeatureFrame


def rule_segments(frame: FeatureFrame) -> np.ndarray:
    names = list(frame.feature_names)
    recency = frame.X[:, names.index("days_since_last_stay")]
    stays = frame.X[:, names.index("stays_count")]
    revenue = frame.X[:, names.index("lifetime_revenue")]
    high_value = revenue >= np.nanpercentile(revenue, 80) if len(revenue) else revenue > 0
    return np.select(
        [recency > 540, (stays >= 3) & high_value, stays >= 3, stays == 1],
        ["dormant", "loyal_high_value", "regular", "one_time"],
        default="occasional",
    ).astype(object)
