"""Evaluate promoted model artifacts for a handful of rows without xgboost, sklearn or scipy.

``guestloyalty score-guest`` must answer in well under a second, and importing xgboost alone
costs about that. Every artifact the scoring stage writes is plain data (xgboost's own
UBJSON / JSON model dump, calibration points, centroids), so one guest can be scored by
walking the trees in pure Python:

- :class:`TreeEnsemble` reads an xgboost model (``.ubj`` or ``.json``) and predicts the
  same numbers as ``Booster.predict`` (up to float32 summation order), for objectives
  ``binary:logistic``, ``reg:logistic``, ``reg:squarederror`` and the log-link ones
  (``reg:tweedie``, ``count:poisson``, ``reg:gamma``);
- :meth:`TreeEnsemble.contributions` gives exact TreeSHAP values (what
  ``pred_contribs=True`` returns) for one row, on the margin scale;
- :func:`apply_calibration` and :func:`nearest_centroid` mirror the batch code's numpy paths.

Unit tests cross-check all of it against xgboost. Nothing here imports numpy either: a few
hundred small trees for one row are faster in plain Python than the import.
"""

from __future__ import annotations

import array
import bisect
import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guestloyalty.errors import ArtifactIntegrityError

# ------------------------------------------------------------------------------------------
# UBJSON (the format of xgboost's .ubj models): a small reader, enough for xgboost's output.
# ------------------------------------------------------------------------------------------

_UBJ_NUMBERS: dict[bytes, tuple[str, int]] = {
    b"i": (">b", 1),
    b"U": (">B", 1),
    b"I": (">h", 2),
    b"l": (">i", 4),
    b"L": (">q", 8),
    b"d": (">f", 4),
    b"D": (">d", 8),
}


class _UbjReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def marker(self) -> bytes:
        value = self.data[self.pos : self.pos + 1]
        self.pos += 1
        while value == b"N":  # no-op
            value = self.data[self.pos : self.pos + 1]
            self.pos += 1
        return value

    def number(self, marker: bytes) -> int | float:
        fmt, size = _UBJ_NUMBERS[marker]
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def length(self) -> int:
        return int(self.number(self.marker()))

    def string(self) -> str:
        size = self.length()
        value = self.data[self.pos : self.pos + size].decode("utf-8")
        self.pos += size
        return value

    def value(self, marker: bytes | None = None) -> object:
        marker = marker or self.marker()
        if marker in _UBJ_NUMBERS:
            return self.number(marker)
        if marker == b"S" or marker == b"H":
            return self.string()
        if marker == b"C":
            char = self.data[self.pos : self.pos + 1].decode("ascii")
            self.pos += 1
            return char
        if marker == b"T":
            return True
        if marker == b"F":
            return False
        if marker == b"Z":
            return None
        if marker == b"[":
            return self.array()
        if marker == b"{":
            return self.object()
        raise ValueError(f"unsupported UBJSON marker {marker!r} at byte {self.pos - 1}")

    def _container_header(self) -> tuple[bytes | None, int | None]:
        kind: bytes | None = None
        count: int | None = None
        if self.data[self.pos : self.pos + 1] == b"$":
            self.pos += 1
            kind = self.marker()
        if self.data[self.pos : self.pos + 1] == b"#":
            self.pos += 1
            count = self.length()
        return kind, count

    def array(self) -> list[object]:
        kind, count = self._container_header()
        if kind in _UBJ_NUMBERS and count is not None:
            fmt, size = _UBJ_NUMBERS[kind]
            values = struct.unpack_from(f">{count}{fmt[1]}", self.data, self.pos)
            self.pos += size * count
            return list(values)
        out: list[object] = []
        if count is not None:
            for _ in range(count):
                out.append(self.value(kind))
            return out
        while True:
            marker = self.marker()
            if marker == b"]":
                return out
            out.append(self.value(marker))

    def object(self) -> dict[str, object]:
        kind, count = self._container_header()
        out: dict[str, object] = {}
        if count is not None:
            for _ in range(count):
                key = self.string()
                out[key] = self.value(kind)
            return out
        while True:
            if self.data[self.pos : self.pos + 1] == b"}":
                self.pos += 1
                return out
            key = self.string()
            out[key] = self.value()


def load_ubjson(data: bytes) -> object:
    """Decode a UBJSON document (as written by xgboost's ``save_model('*.ubj')``)."""
    return _UbjReader(data).value()


# ------------------------------------------------------------------------------------------
# Tree ensembles
# ------------------------------------------------------------------------------------------

_LOG_LINK = {"reg:tweedie", "count:poisson", "reg:gamma"}
_LOGISTIC = {"binary:logistic", "reg:logistic", "binary:logitraw"}
_IDENTITY = {"reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror", "reg:linear"}


def _f32(value: float) -> float:
    """Round a Python float to float32 the way a DMatrix stores features."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _f32_list(values: Sequence[float]) -> list[float]:
    return array.array("f", [float(v) for v in values]).tolist()


@dataclass(frozen=True)
class _Tree:
    left: list[int]
    right: list[int]
    feature: list[int]
    threshold: list[float]
    default_left: list[int]
    value: list[float]  # leaf value at leaves (split_conditions holds it there)
    cover: list[float]


@dataclass(frozen=True)
class TreeEnsemble:
    """An xgboost gbtree model as plain lists, ready to walk for a few rows."""

    objective: str
    base_margin: float
    feature_names: tuple[str, ...]
    trees: tuple[_Tree, ...]

    @classmethod
    def from_document(
        cls, document: dict[str, object], *, best_iteration: int | None = None
    ) -> TreeEnsemble:
        learner = document["learner"]  # type: ignore[index]
        objective = learner["objective"]["name"]  # type: ignore[index]
        booster = learner["gradient_booster"]  # type: ignore[index]
        if booster.get("name") != "gbtree":  # type: ignore[union-attr]
            raise ArtifactIntegrityError(
                f"fast scoring supports gbtree models only, not {booster.get('name')!r}"  # type: ignore[union-attr]
            )
        model = booster["model"]  # type: ignore[index]
        params = learner["learner_model_param"]  # type: ignore[index]
        if int(params.get("num_class", "0") or 0) > 1 or int(params.get("num_target", "1")) > 1:
            raise ArtifactIntegrityError("fast scoring supports single-output models only")
        base = float(str(params["base_score"]).strip("[]"))
        trees_doc = model["trees"]  # type: ignore[index]
        per_round = int(model["gbtree_model_param"].get("num_parallel_tree", "1"))  # type: ignore[index]
        if best_iteration is None:
            attributes = learner.get("attributes", {}) or {}  # type: ignore[union-attr]
            if "best_iteration" in attributes:
                best_iteration = int(attributes["best_iteration"])
        if best_iteration is not None:
            trees_doc = trees_doc[: (best_iteration + 1) * per_round]
        trees = []
        for tree in trees_doc:
            if any(tree.get("split_type", [])):
                raise ArtifactIntegrityError("fast scoring does not support categorical splits")
            trees.append(
                _Tree(
                    left=list(tree["left_children"]),
                    right=list(tree["right_children"]),
                    feature=list(tree["split_indices"]),
                    # JSON prints float32 thresholds in shortest form: round back to float32
                    threshold=_f32_list(tree["split_conditions"]),
                    default_left=[int(v) for v in tree["default_left"]],
                    value=_f32_list(tree["split_conditions"]),
                    cover=[float(v) for v in tree["sum_hessian"]],
                )
            )
        return cls(
            objective=objective,
            base_margin=_base_margin(objective, base),
            feature_names=tuple(learner.get("feature_names", []) or []),  # type: ignore[union-attr]
            trees=tuple(trees),
        )

    @classmethod
    def load(cls, path: Path, *, best_iteration: int | None = None) -> TreeEnsemble:
        """Read ``.ubj`` (UBJSON) or ``.json`` as written by ``Booster.save_model``."""
        try:
            raw = path.read_bytes()
            document = json.loads(raw) if path.suffix == ".json" else load_ubjson(raw)
        except (OSError, ValueError, struct.error) as error:
            raise ArtifactIntegrityError(
                f"{path}: not a readable xgboost model ({error})"
            ) from None
        return cls.from_document(document, best_iteration=best_iteration)  # type: ignore[arg-type]

    def _row(self, row: Sequence[float | None]) -> list[float]:
        return [math.nan if v is None else _f32(float(v)) for v in row]

    def margin(self, row: Sequence[float | None]) -> float:
        """Sum of leaf values plus the base margin (``output_margin=True``)."""
        x = self._row(row)
        total = 0.0
        for tree in self.trees:
            node = 0
            left, right, feature, threshold = tree.left, tree.right, tree.feature, tree.threshold
            while left[node] != -1:
                value = x[feature[node]]
                if value != value:  # NaN: missing
                    node = left[node] if tree.default_left[node] else right[node]
                elif value < threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            total += tree.value[node]
        return self.base_margin + total

    def predict(self, row: Sequence[float | None]) -> float:
        """What ``Booster.predict`` returns for this row."""
        return _link(self.objective, self.margin(row))

    def contributions(self, row: Sequence[float | None]) -> list[float]:
        """Exact TreeSHAP values per feature plus the bias last, on the margin scale."""
        x = self._row(row)
        phi = [0.0] * (len(x) + 1)
        for tree in self.trees:
            _tree_shap(tree, x, phi)
        # xgboost puts the base margin plus every tree's expected value into the bias term.
        phi[-1] += self.base_margin
        return phi


def _base_margin(objective: str, base_score: float) -> float:
    if objective in _LOGISTIC:
        p = min(max(base_score, 1e-16), 1 - 1e-16)
        return math.log(p / (1 - p))
    if objective in _LOG_LINK:
        return math.log(max(base_score, 1e-16))
    if objective in _IDENTITY:
        return base_score
    raise ArtifactIntegrityError(f"fast scoring does not know the objective {objective!r}")


def _link(objective: str, margin: float) -> float:
    if objective in ("binary:logistic", "reg:logistic"):
        return 1.0 / (1.0 + math.exp(-margin)) if margin > -700 else 0.0
    if objective in _LOG_LINK:
        return math.exp(margin)
    return margin


# --- exact TreeSHAP for one row (Lundberg, Erion & Lee 2018, algorithm 2) ------------------
# The path is four parallel lists (feature, zero fraction, one fraction, weight); a copy per
# node keeps the recursion simple and is cheap at the depths boosted trees have.


def _node_means(tree: _Tree) -> list[float]:
    """Cover-weighted mean of the leaves under every node (xgboost's node mean values)."""
    means = [0.0] * len(tree.left)
    order = [0]
    for node in order:  # breadth first, parents before children
        if tree.left[node] != -1:
            order.extend((tree.left[node], tree.right[node]))
    for node in reversed(order):
        a = tree.left[node]
        if a == -1:
            means[node] = tree.value[node]
        else:
            b = tree.right[node]
            ca, cb = tree.cover[a], tree.cover[b]
            means[node] = (means[a] * ca + means[b] * cb) / (ca + cb) if ca + cb > 0 else 0.0
    return means


def _tree_shap(tree: _Tree, x: list[float], phi: list[float]) -> None:
    phi[-1] += _node_means(tree)[0]
    _recurse(tree, x, phi, 0, [], [], [], [], 1.0, 1.0, -1)


def _extend(
    feat: list[int],
    zero: list[float],
    one: list[float],
    weight: list[float],
    zero_fraction: float,
    one_fraction: float,
    feature: int,
) -> None:
    depth = len(feat)
    feat.append(feature)
    zero.append(zero_fraction)
    one.append(one_fraction)
    weight.append(1.0 if depth == 0 else 0.0)
    for i in range(depth - 1, -1, -1):
        weight[i + 1] += one_fraction * weight[i] * (i + 1) / (depth + 1)
        weight[i] = zero_fraction * weight[i] * (depth - i) / (depth + 1)


def _unwind(
    feat: list[int], zero: list[float], one: list[float], weight: list[float], index: int
) -> None:
    depth = len(feat) - 1
    one_fraction, zero_fraction = one[index], zero[index]
    carry = weight[depth]
    for i in range(depth - 1, -1, -1):
        if one_fraction != 0:
            tmp = weight[i]
            weight[i] = carry * (depth + 1) / ((i + 1) * one_fraction)
            carry = tmp - weight[i] * zero_fraction * (depth - i) / (depth + 1)
        else:
            weight[i] = weight[i] * (depth + 1) / (zero_fraction * (depth - i))
    del feat[index], zero[index], one[index]
    weight.pop()


def _unwound_sum(zero: list[float], one: list[float], weight: list[float], index: int) -> float:
    depth = len(weight) - 1
    one_fraction, zero_fraction = one[index], zero[index]
    carry = weight[depth]
    total = 0.0
    for i in range(depth - 1, -1, -1):
        if one_fraction != 0:
            tmp = carry * (depth + 1) / ((i + 1) * one_fraction)
            total += tmp
            carry = weight[i] - tmp * zero_fraction * (depth - i) / (depth + 1)
        elif zero_fraction != 0:
            total += weight[i] / zero_fraction / ((depth - i) / (depth + 1))
    return total


def _recurse(
    tree: _Tree,
    x: list[float],
    phi: list[float],
    node: int,
    feat: list[int],
    zero: list[float],
    one: list[float],
    weight: list[float],
    zero_fraction: float,
    one_fraction: float,
    feature: int,
) -> None:
    feat, zero, one, weight = feat[:], zero[:], one[:], weight[:]
    _extend(feat, zero, one, weight, zero_fraction, one_fraction, feature)
    left = tree.left[node]
    if left == -1:
        leaf = tree.value[node]
        for i in range(1, len(feat)):
            phi[feat[i]] += _unwound_sum(zero, one, weight, i) * (one[i] - zero[i]) * leaf
        return
    right = tree.right[node]
    split = tree.feature[node]
    value = x[split]
    if value != value:
        hot = left if tree.default_left[node] else right
    else:
        hot = left if value < tree.threshold[node] else right
    cold = right if hot == left else left
    cover = tree.cover[node]
    incoming_zero, incoming_one = 1.0, 1.0
    if split in feat:
        index = feat.index(split)
        incoming_zero, incoming_one = zero[index], one[index]
        _unwind(feat, zero, one, weight, index)
    hot_zero = tree.cover[hot] / cover if cover > 0 else 0.0
    cold_zero = tree.cover[cold] / cover if cover > 0 else 0.0
    _recurse(
        tree, x, phi, hot, feat, zero, one, weight, hot_zero * incoming_zero, incoming_one, split
    )
    _recurse(tree, x, phi, cold, feat, zero, one, weight, cold_zero * incoming_zero, 0.0, split)


# ------------------------------------------------------------------------------------------
# Calibration and segments
# ------------------------------------------------------------------------------------------


def _interp(value: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """``numpy.interp`` for one value (clamped at both ends)."""
    if not xs:
        return value
    if value <= xs[0]:
        return float(ys[0])
    if value >= xs[-1]:
        return float(ys[-1])
    i = bisect.bisect_right(xs, value)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return float(y0 + (y1 - y0) * (value - x0) / (x1 - x0)) if x1 != x0 else float(y1)


def _logit(p: float) -> float:
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def apply_calibration(calibration: dict[str, object] | None, raw: float) -> float:
    """Calibrated probability for one raw score, as ``churn.apply_calibration`` does."""
    if not calibration:
        return min(max(raw, 0.0), 1.0)
    method = calibration.get("method")
    if method == "isotonic":
        xs = [float(v) for v in calibration["x"]]  # type: ignore[union-attr]
        ys = [float(v) for v in calibration["y"]]  # type: ignore[union-attr]
        out = _interp(raw, xs, ys) * (1 - 1e-6) + 1e-6 * raw
    elif method == "platt":
        z = float(calibration["a"]) * _logit(raw) + float(calibration["b"])  # type: ignore[arg-type]
        out = 1.0 / (1.0 + math.exp(-z))
    else:
        out = raw
    return min(max(out, 0.0), 1.0)


def nearest_centroid(
    row: Sequence[float | None],
    centroids: Sequence[Sequence[float]],
    *,
    mean: Sequence[float] | None = None,
    scale: Sequence[float] | None = None,
    fill: Sequence[float] | None = None,
) -> int:
    """Index of the closest centroid after optional fill / standardisation of ``row``."""
    values = []
    for j, v in enumerate(row):
        value = math.nan if v is None else float(v)
        if value != value:
            value = float(fill[j]) if fill is not None else 0.0
        if mean is not None and scale is not None:
            value = (value - float(mean[j])) / (float(scale[j]) or 1.0)
        values.append(value)
    best, best_distance = 0, math.inf
    for k, centre in enumerate(centroids):
        distance = sum((a - float(b)) ** 2 for a, b in zip(values, centre, strict=True))
        if distance < best_distance:
            best, best_distance = k, distance
    return best
