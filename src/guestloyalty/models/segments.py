"""Segments: k-means on standardised behaviour, named from the centroids, stable across runs.

- **Inputs**: the behaviour columns of the current snapshot that exist (purpose and channel
  mix, weekday share, lead time, length of stay, ancillary share, price level, recency,
  frequency, engagement — see ``BEHAVIOUR``); counts, money and days are ``log1p``-ed, missing
  values take the training median, then every column is standardised.
- **k** is chosen by the silhouette score over ``k_range`` (on a sample at scale).
- **Names** come from the centroids: each candidate name has a score on the standardised
  centroid (e.g. "business regular" = high business share + weekday share + frequency) and
  names are assigned one per cluster by the Hungarian method, so they are unique.
- **Stable ids**: the same data and seed give the same assignment; when a previous run's
  segments are given, new centroids are matched to the previous ones (Hungarian assignment on
  centroid distance) and keep their ids and names. New clusters get new ids.

The fitted document (``segments.json``) holds the scaler, the centroids, ids and names; scoring
a guest is a nearest-centroid lookup in numpy (:func:`assign`), no scikit-learn needed.
"""

from __future__ import annotations

import numpy as np

from guestloyalty.models.features import FeatureFrame

MIN_GUESTS = 50
FORMAT_VERSION = 1

#: Behaviour columns used when present in the snapshot, with their transform.
BEHAVIOUR: dict[str, str] = {
    # purpose mix
    "business_trip_share": "raw",
    "leisure_trip_share": "raw",
    "family_trip_share": "raw",
    "group_trip_share": "raw",
    # when and how they book
    "weekend_night_share": "raw",
    "avg_lead_days": "log",
    "avg_nights": "log",
    "avg_party_size": "log",
    "direct_booking_share": "raw",
    "ota_booking_share": "raw",
    # what they spend
    "ancillary_share": "raw",
    "avg_stay_revenue": "log",
    "avg_daily_rate": "log",
    "relative_daily_rate": "raw",
    # recency / frequency / engagement
    "days_since_last_stay": "log",
    "stays_count": "log",
    "stays_last_365d": "log",
    "email_open_rate_180d": "raw",
    "sessions_90d": "log",
    "loyalty_tier_rank": "raw",
    "is_loyalty_member": "raw",
}

#: Candidate names and how each scores a standardised centroid: {feature: weight}. The first
#: feature defines the name: without it in the data the name is not used.
NAME_RULES: dict[str, dict[str, float]] = {
    "business regular": {
        "business_trip_share": 1.5,
        "weekend_night_share": -0.7,
        "stays_count": 0.7,
        "stays_last_365d": 0.7,
        "avg_lead_days": -0.3,
    },
    "family vacationer": {
        "family_trip_share": 1.5,
        "avg_party_size": 1.0,
        "avg_nights": 0.7,
        "weekend_night_share": 0.3,
        "avg_lead_days": 0.5,
    },
    "luxury seeker": {
        "avg_stay_revenue": 1.2,
        "avg_daily_rate": 1.2,
        "relative_daily_rate": 1.0,
        "ancillary_share": 1.0,
    },
    "deal seeker": {
        "relative_daily_rate": -1.5,
        "avg_daily_rate": -1.0,
        "avg_stay_revenue": -0.7,
        "direct_booking_share": -0.7,
        "ota_booking_share": 1.0,
        "ancillary_share": -0.5,
    },
    "weekend getaway": {
        "weekend_night_share": 1.5,
        "leisure_trip_share": 0.8,
        "avg_nights": -0.5,
    },
    "group / event": {"group_trip_share": 2.0, "avg_party_size": 0.8},
    "dormant": {
        "days_since_last_stay": 2.0,
        "stays_last_365d": -1.0,
        "email_open_rate_180d": -0.5,
        "sessions_90d": -0.5,
    },
    "loyal regular": {
        "stays_count": 1.2,
        "stays_last_365d": 1.0,
        "loyalty_tier_rank": 0.6,
        "is_loyalty_member": 0.6,
        "email_open_rate_180d": 0.4,
        "days_since_last_stay": -0.5,
    },
    "engaged newcomer": {
        "sessions_90d": 0.6,
        "stays_count": -1.0,
        "days_since_last_stay": -1.0,
        "email_open_rate_180d": 0.6,
    },
    "one-time visitor": {
        "stays_count": -1.2,
        "days_since_last_stay": 0.5,
        "email_open_rate_180d": -0.4,
    },
    "leisure traveller": {"leisure_trip_share": 1.5, "avg_lead_days": 0.5},
    "long-stay guest": {"avg_nights": 1.5, "avg_lead_days": 0.3},
    "last-minute booker": {"avg_lead_days": -1.5},
}


def behaviour_columns(frame: FeatureFrame) -> list[str]:
    return [name for name in BEHAVIOUR if name in frame.feature_names]


def _transform(frame: FeatureFrame, names: list[str]) -> np.ndarray:
    X = frame.select(names).X.astype(np.float64)
    for j, name in enumerate(names):
        if BEHAVIOUR[name] == "log":
            X[:, j] = np.log1p(np.maximum(X[:, j], 0.0))
    return X


def _standardise(X: np.ndarray, scaler: dict[str, list[float]]) -> np.ndarray:
    median = np.asarray(scaler["median"])
    mean = np.asarray(scaler["mean"])
    scale = np.asarray(scaler["scale"])
    X = np.where(np.isnan(X), median[None, :], X)
    return (X - mean[None, :]) / scale[None, :]


def _fit_scaler(X: np.ndarray) -> dict[str, list[float]]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(X, axis=0)
    median = np.where(np.isnan(median), 0.0, median)
    filled = np.where(np.isnan(X), median[None, :], X)
    mean = filled.mean(axis=0)
    scale = filled.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    return {"median": median.tolist(), "mean": mean.tolist(), "scale": scale.tolist()}


def fit_segments(
    frame: FeatureFrame,
    *,
    k_range: tuple[int, int] = (4, 8),
    seed: int = 42,
    previous: dict[str, object] | None = None,
    sample: int = 5_000,
    threads: int = 1,
) -> dict[str, object]:
    """Fit k-means with k chosen by silhouette; return the JSON document (see module doc)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances, silhouette_score
    from threadpoolctl import threadpool_limits

    names = behaviour_columns(frame)
    if not names:
        raise ValueError("no behaviour columns in the snapshot to segment on")
    raw = _transform(frame, names)
    scaler = _fit_scaler(raw)
    Z = _standardise(raw, scaler)
    rng = np.random.default_rng(seed)
    fit_rows = Z if len(Z) <= 4 * sample else Z[np.sort(rng.choice(len(Z), 4 * sample, False))]
    low, high = k_range
    high = min(high, max(low, len(fit_rows) // 10))
    scores: dict[int, float] = {}
    models = {}
    # Silhouettes on one sample of the fitted rows (the rows scikit-learn's own sample_size
    # would pick), with its distance matrix computed once for every k.
    scored = np.random.RandomState(seed).permutation(len(fit_rows))[: min(sample, len(fit_rows))]
    with threadpool_limits(threads):
        distances = pairwise_distances(fit_rows[scored])
        for k in range(low, high + 1):
            model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(fit_rows)
            scores[k] = float(
                silhouette_score(distances, model.labels_[scored], metric="precomputed")
            )
            models[k] = model
        del distances
    best_k = max(scores, key=lambda k: (round(scores[k], 3), -k))
    centroids = _canonical_order(models[best_k].cluster_centers_)
    ids, labels = _match_previous(centroids, names, scaler, previous)
    doc: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "features": names,
        "transforms": {name: BEHAVIOUR[name] for name in names},
        "scaler": scaler,
        "centroids": centroids.tolist(),
        "raw_centroids": _unstandardise(centroids, scaler).tolist(),
        "ids": ids,
        "names": labels,
        "k": best_k,
        "k_range": [low, high],
        "silhouette": scores,
    }
    assigned = assign(doc, frame)[0]
    sizes = {label: int((assigned == i).sum()) for i, label in zip(ids, labels, strict=True)}
    doc["summary"] = {
        "k": best_k,
        "silhouette": scores[best_k],
        "sizes": sizes,
        "matched_previous": previous is not None,
    }
    return doc


def _canonical_order(centroids: np.ndarray) -> np.ndarray:
    """Order clusters deterministically (by their coordinates), whatever k-means' order."""
    order = np.lexsort(np.round(centroids, 6).T[::-1])
    return centroids[order]


def _unstandardise(Z: np.ndarray, scaler: dict[str, list[float]]) -> np.ndarray:
    return Z * np.asarray(scaler["scale"])[None, :] + np.asarray(scaler["mean"])[None, :]


def name_centroids(centroids: np.ndarray, names: list[str]) -> list[str]:
    """One distinct human name per centroid, by the Hungarian method on the rule scores."""
    from scipy.optimize import linear_sum_assignment

    # A name is only a candidate when its defining (first) behaviour is in the data: no
    # "business regular" without a business share to show for it.
    candidates = [label for label, rule in NAME_RULES.items() if next(iter(rule)) in names]
    score = np.zeros((len(centroids), len(candidates)))
    for j, label in enumerate(candidates):
        for feature, weight in NAME_RULES[label].items():
            if feature in names:
                score[:, j] += weight * centroids[:, names.index(feature)]
    rows, cols = linear_sum_assignment(-score)
    out = [""] * len(centroids)
    for r, c in zip(rows, cols, strict=True):
        out[r] = candidates[c]
    # More clusters than names: number the rest.
    for i, label in enumerate(out):
        if not label:
            out[i] = f"segment {i + 1}"
    return out


def _match_previous(
    centroids: np.ndarray,
    names: list[str],
    scaler: dict[str, list[float]],
    previous: dict[str, object] | None,
) -> tuple[list[int], list[str]]:
    """Ids and names: inherited from the previous run's closest centroids where there is one."""
    fresh_names = name_centroids(centroids, names)
    if not previous or previous.get("features") != names:
        return list(range(1, len(centroids) + 1)), fresh_names
    from scipy.optimize import linear_sum_assignment

    old_raw = np.asarray(previous["raw_centroids"], dtype=np.float64)
    mean, scale = np.asarray(scaler["mean"]), np.asarray(scaler["scale"])
    old = (old_raw - mean[None, :]) / scale[None, :]
    cost = ((centroids[:, None, :] - old[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    old_ids = [int(i) for i in previous["ids"]]
    old_names = list(previous["names"])
    ids: list[int] = [0] * len(centroids)
    labels: list[str] = [""] * len(centroids)
    for r, c in zip(rows, cols, strict=True):
        ids[r], labels[r] = old_ids[c], old_names[c]
    next_id = max(old_ids, default=0) + 1
    for i in range(len(centroids)):
        if ids[i] == 0:
            ids[i] = next_id
            next_id += 1
            candidate = fresh_names[i]
            labels[i] = candidate if candidate not in labels else f"{candidate} ({ids[i]})"
    return ids, labels


def assign(doc: dict[str, object], frame: FeatureFrame) -> tuple[np.ndarray, np.ndarray]:
    """(segment id, segment name) per guest: the nearest centroid, numpy only."""
    names = list(doc["features"])
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    raw = frame.select(names).X.astype(np.float64)
    for j, name in enumerate(names):
        if doc["transforms"][name] == "log":
            raw[:, j] = np.log1p(np.maximum(raw[:, j], 0.0))
    Z = _standardise(raw, doc["scaler"])
    centroids = np.asarray(doc["centroids"], dtype=np.float64)
    distance = np.column_stack([((Z - centroid) ** 2).sum(axis=1) for centroid in centroids])
    nearest = distance.argmin(axis=1)
    ids = np.asarray(doc["ids"], dtype=np.int64)[nearest]
    labels = np.asarray(doc["names"], dtype=object)[nearest]
    return ids, labels


def defining_traits(doc: dict[str, object], *, top: int = 3) -> dict[int, str]:
    """Per segment id, its most distinctive behaviours in words (largest |centroid z|)."""
    from guestloyalty.models.phrases import PHRASES, format_value

    names = list(doc["features"])
    centroids = np.asarray(doc["centroids"], dtype=np.float64)
    raw = np.asarray(doc["raw_centroids"], dtype=np.float64)
    mean = np.asarray(doc["scaler"]["mean"], dtype=np.float64)
    out: dict[int, str] = {}
    for i, segment_id in enumerate(doc["ids"]):
        order = np.argsort(-np.abs(centroids[i]))[:top]
        parts = []
        for j in order:
            name = names[j]
            value, typical = raw[i, j], mean[j]
            if doc["transforms"][name] == "log":
                value, typical = np.expm1(value), np.expm1(typical)
            template, kind = PHRASES.get(name, (name.replace("_", " ") + ": {v}", "decimal"))
            parts.append(
                f"{template.format(v=format_value(float(value), kind))} "
                f"(typical {format_value(float(typical), kind)})"
            )
        out[int(segment_id)] = "; ".join(parts)
    return out


def rule_segments(frame: FeatureFrame) -> np.ndarray:
    """Fallback for tiny data (fewer than ``MIN_GUESTS`` guests): recency/frequency rules."""
    recency = frame.column("days_since_last_stay")
    stays = frame.column("stays_count")
    return np.select(
        [recency > 540, stays >= 3, stays == 1],
        ["dormant", "loyal regular", "one-time visitor"],
        default="occasional",
    ).astype(object)
