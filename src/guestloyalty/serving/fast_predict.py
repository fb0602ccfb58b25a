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
- :meth:`TreeEnsemble.path_contributions` gives path attributions (Saabas; what
  ``pred_contribs=True, approx_contribs=True`` returns), the ones the reasons use.

Calibration, CLV tiers and segment centroids are evaluated by :mod:`guestloyalty.serving.light`.

Unit tests cross-check all of it against xgboost. Nothing here imports numpy either: a few
hundred small trees for one row are faster in plain Python than the import.
"""

from __future__ import annotations

import array
import hashlib
import json
import math
import os
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

_MAGIC = b"guestloyalty-trees-1\n"
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
    means: list[float]  # cover-weighted mean of the leaves under each node (for TreeSHAP)


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
            threshold = _f32_list(tree["split_conditions"])
            trees.append(
                _make_tree(
                    left=list(tree["left_children"]),
                    right=list(tree["right_children"]),
                    feature=list(tree["split_indices"]),
                    # JSON prints float32 thresholds in shortest form: round back to float32
                    threshold=threshold,
                    default_left=[int(v) for v in tree["default_left"]],
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

    @classmethod
    def load_cached(
        cls, path: Path, *, sha256: str, best_iteration: int | None = None
    ) -> TreeEnsemble:
        """:meth:`load`, through a compact binary copy next to the model (``.fast/``).

        Parsing a large JSON model costs more than everything else ``score-guest`` does; the
        first call writes the trees as typed arrays named after the model's checksum (which
        the caller has verified), later calls read those. A cache that fails its own checksum
        or cannot be written is ignored.
        """
        cache = path.parent / ".fast" / f"{path.name}.{sha256[:24]}.{best_iteration}.bin"
        if cache.exists():
            try:
                return cls.from_bytes(cache.read_bytes())
            except (OSError, ValueError, KeyError, struct.error):
                pass
        ensemble = cls.load(path, best_iteration=best_iteration)
        try:
            cache.parent.mkdir(exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(ensemble.to_bytes())
            os.replace(tmp, cache)
        except OSError:
            pass
        return ensemble

    def to_bytes(self) -> bytes:
        """The ensemble as typed arrays (see :meth:`from_bytes`)."""
        blob = b"".join(
            [
                array.array("i", [v for t in self.trees for v in t.left]).tobytes(),
                array.array("i", [v for t in self.trees for v in t.right]).tobytes(),
                array.array("i", [v for t in self.trees for v in t.feature]).tobytes(),
                array.array("b", [v for t in self.trees for v in t.default_left]).tobytes(),
                array.array("f", [v for t in self.trees for v in t.threshold]).tobytes(),
                array.array("d", [v for t in self.trees for v in t.cover]).tobytes(),
                array.array("d", [v for t in self.trees for v in t.means]).tobytes(),
            ]
        )
        header = json.dumps(
            {
                "objective": self.objective,
                "base_margin": self.base_margin,
                "feature_names": list(self.feature_names),
                "sizes": [len(t.left) for t in self.trees],
                "digest": hashlib.sha256(blob).hexdigest(),
            }
        ).encode()
        return _MAGIC + struct.pack("<I", len(header)) + header + blob

    @classmethod
    def from_bytes(cls, data: bytes) -> TreeEnsemble:
        if not data.startswith(_MAGIC):
            raise ValueError("not a guestloyalty tree cache")
        start = len(_MAGIC) + 4
        (size,) = struct.unpack_from("<I", data, len(_MAGIC))
        header = json.loads(data[start : start + size])
        blob = data[start + size :]
        if hashlib.sha256(blob).hexdigest() != header["digest"]:
            raise ValueError("tree cache checksum mismatch")
        sizes = header["sizes"]
        n = sum(sizes)
        columns = []
        offset = 0
        for code, width in (("i", 4), ("i", 4), ("i", 4), ("b", 1), ("f", 4), ("d", 8), ("d", 8)):
            values = array.array(code)
            values.frombytes(blob[offset : offset + n * width])
            columns.append(values.tolist())
            offset += n * width
        left, right, feature, default_left, threshold, cover, means = columns
        trees = []
        at = 0
        for count in sizes:
            end = at + count
            trees.append(
                _Tree(
                    left=left[at:end],
                    right=right[at:end],
                    feature=feature[at:end],
                    threshold=threshold[at:end],
                    default_left=default_left[at:end],
                    value=threshold[at:end],
                    cover=cover[at:end],
                    means=means[at:end],
                )
            )
            at = end
        return cls(
            objective=header["objective"],
            base_margin=float(header["base_margin"]),
            feature_names=tuple(header["feature_names"]),
            trees=tuple(trees),
        )

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

    def path_contributions(self, row: Sequence[float | None]) -> list[float]:
        """Path attributions (Saabas) per feature plus the bias last, on the margin scale.

        Walking each tree from the root to the row's leaf, every split credits its feature
        with the change in the expected value (cover-weighted leaf mean) from the node to the
        child taken; the bias is the base margin plus every root's expected value. What
        ``Booster.predict(..., pred_contribs=True, approx_contribs=True)`` returns, and like
        SHAP values they add up to the margin.
        """
        x = self._row(row)
        phi = [0.0] * (len(x) + 1)
        bias = self.base_margin
        for tree in self.trees:
            left, right, feature, means = tree.left, tree.right, tree.feature, tree.means
            node = 0
            bias += means[0]
            while left[node] != -1:
                value = x[feature[node]]
                if value != value:  # NaN: missing
                    child = left[node] if tree.default_left[node] else right[node]
                elif value < tree.threshold[node]:
                    child = left[node]
                else:
                    child = right[node]
                phi[feature[node]] += means[child] - means[node]
                node = child
        phi[-1] += bias
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


def _node_means(
    left: list[int], right: list[int], value: list[float], cover: list[float]
) -> list[float]:
    """Cover-weighted mean of the leaves under every node (xgboost's node mean values)."""
    means = [0.0] * len(left)
    order = [0]
    for node in order:  # breadth first, parents before children
        if left[node] != -1:
            order.extend((left[node], right[node]))
    for node in reversed(order):
        a = left[node]
        if a == -1:
            means[node] = value[node]
        else:
            b = right[node]
            ca, cb = cover[a], cover[b]
            means[node] = (means[a] * ca + means[b] * cb) / (ca + cb) if ca + cb > 0 else 0.0
    return means


def _make_tree(
    *,
    left: list[int],
    right: list[int],
    feature: list[int],
    threshold: list[float],
    default_left: list[int],
    cover: list[float],
) -> _Tree:
    return _Tree(
        left=left,
        right=right,
        feature=feature,
        threshold=threshold,
        default_left=default_left,
        value=threshold,
        cover=cover,
        means=_node_means(left, right, threshold, cover),
    )


def _tree_shap(tree: _Tree, x: list[float], phi: list[float]) -> None:
    """Add one tree's exact SHAP values for row ``x`` to ``phi`` (bias last).

    Algorithm 2 of Lundberg, Erion & Lee (2018), as xgboost implements it; the path is four
    parallel lists (feature, zero fraction, one fraction, weight), copied per node, and the
    extend / unwind / unwound-sum steps are inlined (they run for every leaf and path entry).
    """
    left, right, split_feature = tree.left, tree.right, tree.feature
    threshold, default_left, value, cover = (
        tree.threshold,
        tree.default_left,
        tree.value,
        tree.cover,
    )
    phi[-1] += tree.means[0]

    def recurse(
        node: int,
        feat: list[int],
        zero: list[float],
        one: list[float],
        weight: list[float],
        zero_fraction: float,
        one_fraction: float,
        feature: int,
    ) -> None:
        # extend the path with (feature, zero_fraction, one_fraction)
        depth = len(feat)
        feat = [*feat, feature]
        zero = [*zero, zero_fraction]
        one = [*one, one_fraction]
        weight = [*weight, 1.0 if depth == 0 else 0.0]
        for i in range(depth - 1, -1, -1):
            weight[i + 1] += one_fraction * weight[i] * (i + 1) / (depth + 1)
            weight[i] = zero_fraction * weight[i] * (depth - i) / (depth + 1)
        child = left[node]
        if child == -1:
            leaf = value[node]
            last = depth  # index of the last path entry
            for k in range(1, last + 1):
                o, z = one[k], zero[k]
                carry = weight[last]
                total = 0.0
                if o != 0:
                    for i in range(last - 1, -1, -1):
                        tmp = carry * (last + 1) / ((i + 1) * o)
                        total += tmp
                        carry = weight[i] - tmp * z * (last - i) / (last + 1)
                elif z != 0:
                    for i in range(last - 1, -1, -1):
                        total += weight[i] / z * (last + 1) / (last - i)
                phi[feat[k]] += total * (o - z) * leaf
            return
        split = split_feature[node]
        v = x[split]
        if v != v:
            hot = child if default_left[node] else right[node]
        else:
            hot = child if v < threshold[node] else right[node]
        cold = right[node] if hot == child else child
        w = cover[node]
        incoming_zero = incoming_one = 1.0
        if split in feat:
            # undo the earlier split on this feature; it is redone below
            index = feat.index(split)
            incoming_zero, incoming_one = zero[index], one[index]
            last = len(feat) - 1
            carry = weight[last]
            for i in range(last - 1, -1, -1):
                if incoming_one != 0:
                    tmp = weight[i]
                    weight[i] = carry * (last + 1) / ((i + 1) * incoming_one)
                    carry = tmp - weight[i] * incoming_zero * (last - i) / (last + 1)
                else:
                    weight[i] = weight[i] * (last + 1) / (incoming_zero * (last - i))
            del feat[index], zero[index], one[index]
            weight.pop()
        hot_zero = cover[hot] / w if w > 0 else 0.0
        cold_zero = cover[cold] / w if w > 0 else 0.0
        recurse(hot, feat, zero, one, weight, hot_zero * incoming_zero, incoming_one, split)
        recurse(cold, feat, zero, one, weight, cold_zero * incoming_zero, 0.0, split)

    recurse(0, [], [], [], [], 1.0, 1.0, -1)
