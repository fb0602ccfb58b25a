"""The non-tree artifacts evaluated for one guest in plain Python (no numpy, sklearn, scipy).

Mirrors, for a single guest, what the batch code does with numpy:
:func:`calibrate` = ``churn.apply_calibration``, :func:`assign_segment` = ``segments.assign``,
:func:`clv_tier` = ``clv.clv_tier``, :func:`blend_with_churn` = ``clv.blend_with_churn``.
``score-guest`` uses these so it starts in well under a second; unit tests check that both
paths agree.
"""

from __future__ import annotations

import bisect
import math

#: Baseline model input -> the ``guest_scores`` column that holds it for each scored guest.
BASELINE_COLUMNS: dict[str, str] = {
    "btyd_p_no_stay": "p_no_stay_btyd",
    "btyd_expected_stays": "expected_stays_btyd",
    "btyd_expected_spend": "clv_btyd",
    "btyd_p_alive": "p_alive_btyd",
}


def _logit(p: float) -> float:
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def calibrate(raw: float, calibration: dict[str, object]) -> float:
    """Calibrated churn probability (see ``churn.apply_calibration``)."""
    method = calibration.get("method")
    if method == "isotonic":
        xs = [float(v) for v in calibration["x"]]  # type: ignore[union-attr]
        ys = [float(v) for v in calibration["y"]]  # type: ignore[union-attr]
        if raw <= xs[0]:
            value = ys[0]
        elif raw >= xs[-1]:
            value = ys[-1]
        else:
            i = bisect.bisect_right(xs, raw)
            x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
            value = y0 if x1 == x0 else y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
        out = value * (1 - 1e-6) + 1e-6 * raw
    elif method == "platt":
        z = float(calibration["a"]) * _logit(raw) + float(calibration["b"])  # type: ignore[arg-type]
        out = 1.0 / (1.0 + math.exp(-z))
    else:
        out = raw
    return min(max(out, 0.0), 1.0)


def blend_with_churn(value: float, churn_probability: float, mean_return_revenue: float) -> float:
    """CLV blended with the churn model (see ``clv.blend_with_churn``)."""
    back = 1.0 - min(max(churn_probability, 0.0), 1.0)
    return math.sqrt(max(value, 0.0) * back * max(mean_return_revenue, 0.0))


def assign_segment(values: dict[str, float | None], doc: dict[str, object]) -> tuple[int, str]:
    """(segment id, name) of the nearest centroid (see ``segments.assign``)."""
    names = list(doc["features"])  # type: ignore[call-overload]
    scaler = doc["scaler"]
    transforms = doc["transforms"]
    z = []
    for j, name in enumerate(names):
        value = values.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            x = float(scaler["median"][j])  # type: ignore[index]
        else:
            x = float(value)
            if transforms[name] == "log":  # type: ignore[index]
                x = math.log1p(max(x, 0.0))
        z.append((x - float(scaler["mean"][j])) / float(scaler["scale"][j]))  # type: ignore[index]
    best, best_distance = 0, math.inf
    for i, centroid in enumerate(doc["centroids"]):  # type: ignore[arg-type]
        distance = sum((a - float(b)) ** 2 for a, b in zip(z, centroid, strict=True))
        if distance < best_distance:
            best, best_distance = i, distance
    return int(doc["ids"][best]), str(doc["names"][best])  # type: ignore[index]


def clv_tier(value: float, tiers: list[dict[str, object]]) -> str:
    """Tier name for one CLV (see ``clv.clv_tier``)."""
    for tier in tiers[:-1]:
        if value >= float(tier["min_clv"]):  # type: ignore[arg-type]
            return str(tier["tier"])
    return str(tiers[-1]["tier"])
