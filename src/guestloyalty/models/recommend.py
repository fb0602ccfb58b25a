"""Recommendations from implicit feedback: item-item co-occurrence across guests' stays.

Every stay is a set of *items*: the property, the room type, the extras bought on it (spa,
dining, an upgrade, late check-out ...) and *context* items that describe it (trip purpose,
party) and are never recommended themselves. From every guest's history the model learns

    T[j, i] = share of a guest's *other* stays that have item i, over stays that have item j

(leave-one-out co-occurrence: only guests with two stays or more teach it, and a stay never
predicts itself). A guest's score for item i blends their own history with what guests with
stays like theirs do next::

    cf(g, i)    = sum_j h(g, j) T[j, i]           h: the guest's items, weighted, summing to 1
    score(g, i) = (x(g, i) + k cf(g, i)) / (n(g) + k)

``x`` counts the guest's stays with the item and ``n`` their stays, each stay weighted by
``0.5 ** (age / half_life)``; ``k`` is how many stays' worth of evidence the neighbours count
for (each kind of item has its own ``k`` and half-life). Within one kind of item with one
item per stay (property, room type) the scores sum to 1: the probability of that item on the
next stay; for an extra the score is the chance of buying it on the next stay. ``k`` and the
half-life are chosen on an earlier, fully observed window (:func:`select_blend`), never on
the stays they are judged on.

Pure functions on numpy and scipy sparse arrays: no SQL, no files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

#: Item kinds, in the order recommendations interleave them; ``context`` is never recommended.
KINDS: tuple[str, ...] = ("property", "room_type", "extra", "offer")
CONTEXT = "context"
#: One item per stay of these kinds: their scores are a distribution over the next stay.
SINGLE_CHOICE: tuple[str, ...] = ("property", "room_type")

DEFAULT_PRIOR_WEIGHT = 1.0
DEFAULT_HALF_LIFE_DAYS = 730.0
PRIOR_WEIGHTS: tuple[float, ...] = (0.5, 2.0, 8.0, 32.0)
HALF_LIVES: tuple[float, ...] = (365.0, math.inf)
#: Fewer validation guests than this and the defaults stand; more than the maximum, a sample.
MIN_VALIDATION_GUESTS = 200
MAX_VALIDATION_GUESTS = 50_000
_CHUNK = 262_144


@dataclass(frozen=True)
class Interactions:
    """Stays as sets of items.

    ``stay_guest[s]`` is the guest (0..n_guests-1) of stay s, ``stay_age_days[s]`` its age at
    as_of; ``stay_items`` is the stays x items 0/1 matrix (CSR) whose columns are
    ``item_kind`` / ``item_id``.
    """

    stay_guest: np.ndarray
    stay_age_days: np.ndarray
    stay_items: sp.csr_matrix
    item_kind: np.ndarray
    item_id: np.ndarray
    n_guests: int

    @property
    def n_items(self) -> int:
        return int(self.stay_items.shape[1])

    def columns(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.item_kind == kind)

    def subset_stays(self, keep: np.ndarray) -> Interactions:
        """The same guests and items, only the stays where ``keep``."""
        return Interactions(
            stay_guest=self.stay_guest[keep],
            stay_age_days=self.stay_age_days[keep],
            stay_items=self.stay_items[np.flatnonzero(keep)],
            item_kind=self.item_kind,
            item_id=self.item_id,
            n_guests=self.n_guests,
        )


@dataclass(frozen=True)
class CooccurrenceModel:
    """What :func:`fit` learns: the transition matrix and the per-stay popularity."""

    transition: np.ndarray  # [items, items]
    popularity: np.ndarray  # [items] share of stays with the item
    prior_weight: float = DEFAULT_PRIOR_WEIGHT
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS
    #: kind -> (k, half-life) where it differs from the defaults above
    blend: dict[str, tuple[float, float]] = field(default_factory=dict)
    stays: int = 0
    teaching_guests: int = 0
    tuning: dict[str, float] = field(default_factory=dict)


def guest_item_counts(
    data: Interactions, weights: np.ndarray | None = None, *, dtype: type = np.float64
) -> sp.csr_matrix:
    """Guests x items: (weighted) number of stays with each item.

    One sparse product, guests x stays (each stay's weight in its guest's row) times stays x
    items; the guests x stays matrix is laid out directly, stays grouped by guest.
    """
    guest = np.asarray(data.stay_guest)
    n = len(guest)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    stays = np.argsort(guest, kind="stable")
    indptr = np.searchsorted(guest[stays], np.arange(data.n_guests + 1))
    per_guest = sp.csr_matrix((w[stays], stays, indptr), shape=(data.n_guests, n))
    return (per_guest @ data.stay_items.astype(np.float64)).astype(dtype).tocsr()


def stay_weights(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """``0.5 ** (age / half_life)``; every stay counts 1 with an infinite half-life."""
    if not math.isfinite(half_life_days):
        return np.ones(len(age_days))
    return np.power(0.5, np.maximum(np.asarray(age_days, dtype=np.float64), 0.0) / half_life_days)


def fit(
    data: Interactions,
    *,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> CooccurrenceModel:
    """Learn the leave-one-out transition matrix from every guest's stays."""
    z = data.stay_items.astype(np.float64)
    x = guest_item_counts(data)
    stays_per_guest = np.bincount(data.stay_guest, minlength=data.n_guests).astype(np.float64)
    pairs = (x.T @ x).toarray() - (z.T @ z).toarray()  # item pairs on two different stays
    other_stays = np.asarray(x.T @ (stays_per_guest - 1.0)).ravel()  # per item j
    n_stays = max(z.shape[0], 1)
    popularity = np.asarray(z.sum(axis=0)).ravel() / n_stays
    with np.errstate(invalid="ignore", divide="ignore"):
        transition = pairs / other_stays[:, None]
    # An item no repeat guest ever had teaches nothing: its row is the overall popularity.
    untaught = ~(other_stays > 0)
    transition[untaught] = popularity
    return CooccurrenceModel(
        transition=np.clip(transition, 0.0, None),
        popularity=popularity,
        prior_weight=float(prior_weight),
        half_life_days=float(half_life_days),
        stays=int(z.shape[0]),
        teaching_guests=int(np.sum(stays_per_guest >= 2)),
    )


def weighted_counts(data: Interactions, half_life_days: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """Guests x items weighted counts and each guest's weighted stays, for one half-life."""
    weights = stay_weights(data.stay_age_days, half_life_days)
    x = guest_item_counts(data, weights, dtype=np.float32)
    return x, np.bincount(data.stay_guest, weights=weights, minlength=data.n_guests)


def evidence(
    model: CooccurrenceModel,
    counts: tuple[sp.csr_matrix, np.ndarray],
    rows: np.ndarray,
    columns: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``rows`` (guests) and ``columns`` (items): own weighted counts ``x``, weighted
    stays ``n`` and the neighbours' rates ``cf`` (popularity for a guest without stays);
    ``counts`` from :func:`weighted_counts`."""
    x = counts[0][rows]
    n = counts[1][rows]
    total = np.asarray(x.sum(axis=1), dtype=np.float64).ravel()
    inverse = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    h = sp.diags(inverse.astype(np.float32)) @ x
    cf = np.asarray(h @ model.transition[:, columns].astype(np.float32))
    cf[total == 0] = model.popularity[columns]
    return x[:, columns].toarray(), n, cf


def predict(
    model: CooccurrenceModel,
    data: Interactions,
    *,
    guests: np.ndarray | None = None,
    dtype: type = np.float32,
) -> np.ndarray:
    """Scores [guests, items] (all guests, or those in ``guests``, in that order).

    A guest without stays gets the overall popularity.
    """
    rows = np.arange(data.n_guests) if guests is None else np.asarray(guests)
    out = np.empty((len(rows), data.n_items), dtype=dtype)
    settings = np.array(
        [
            model.blend.get(kind, (model.prior_weight, model.half_life_days))
            for kind in data.item_kind
        ],
        dtype=np.float64,
    ).reshape(-1, 2)
    for half_life in np.unique(settings[:, 1]):
        columns = np.flatnonzero(settings[:, 1] == half_life)
        k = settings[columns, 0]
        counts = weighted_counts(data, float(half_life))
        for start in range(0, len(rows), _CHUNK):
            part = rows[start : start + _CHUNK]
            own, n, cf = evidence(model, counts, part, columns)
            out[start : start + len(part), columns] = (own + k * cf) / (n[:, None] + k)
    return out


def rank_columns(scores: np.ndarray, columns: np.ndarray, *, top: int) -> np.ndarray:
    """Per row, the ``top`` best of ``columns`` (column indices, best first; ties: column
    order). -inf scores rank last."""
    if len(columns) == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    block = scores[:, columns]
    order = np.argsort(-block, axis=1, kind="stable")[:, :top]
    return columns[order]


# ---- choosing k and the half-life on an earlier window --------------------------------------


Objective = Callable[[np.ndarray], dict[str, float]]


def select_blend(
    history: Interactions,
    objective: Objective,
    guests: np.ndarray,
    *,
    prior_weights: tuple[float, ...] = PRIOR_WEIGHTS,
    half_lives: tuple[float, ...] = HALF_LIVES,
) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """Per kind of item, the (k, half-life) whose predictions for ``guests`` from ``history``
    score best.

    ``objective(scores)`` judges scores [len(guests), items] against what those guests did
    after the history ends, one figure per kind (higher is better). Returns the blend per kind
    and every grid figure.
    """
    base = fit(history)
    columns = np.arange(history.n_items)
    results: dict[str, float] = {}
    best: dict[str, tuple[float, float, float]] = {}
    for half_life in half_lives:
        counts = weighted_counts(history, half_life)
        own, n, cf = evidence(base, counts, np.asarray(guests), columns)
        for k in prior_weights:
            scores = ((own + k * cf) / (n[:, None] + k)).astype(np.float32)
            for kind, value in objective(scores).items():
                results[f"{kind}:k={k:g},half_life={half_life:g}"] = value
                if np.isfinite(value) and value > best.get(kind, (-math.inf, 0.0, 0.0))[0] + 1e-9:
                    best[kind] = (value, k, half_life)
    return {kind: (k, half_life) for kind, (_, k, half_life) in best.items()}, results


# ---- what guests did next -------------------------------------------------------------------


@dataclass(frozen=True)
class NextStays:
    """For guests with a history and a next stay: the items of that stay and of their last one.

    ``property`` / ``room_type``: the item column of the next stay (-1: none known);
    ``extras``: [guests, extra columns] bought on it; ``last_*`` the same for the last stay
    of the history (the "what the guest did last time" baseline).
    """

    guests: np.ndarray
    property: np.ndarray
    room_type: np.ndarray
    extras: np.ndarray
    last_property: np.ndarray
    last_room_type: np.ndarray
    last_extras: np.ndarray

    def __len__(self) -> int:
        return len(self.guests)

    def sample(self, size: int, *, seed: int = 0) -> NextStays:
        """At most ``size`` of these guests, drawn without replacement (same seed, same set)."""
        if len(self) <= size:
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), size, replace=False))
        return NextStays(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})


def first_column(rows: sp.csr_matrix, columns: np.ndarray) -> np.ndarray:
    """Per row, the first of ``columns`` that is set (-1: none)."""
    if len(columns) == 0:
        return np.full(rows.shape[0], -1, dtype=np.int64)
    block = rows[:, columns].toarray() > 0
    return np.where(block.any(axis=1), columns[block.argmax(axis=1)], -1)


def next_stays(history: Interactions, targets: Interactions) -> NextStays:
    """Guests with at least one history stay and one target stay (the first target per guest;
    stays are in guest, then time order, so a guest's last history stay is their last row)."""
    has_history = np.bincount(history.stay_guest, minlength=history.n_guests) > 0
    first_target = np.r_[True, targets.stay_guest[1:] != targets.stay_guest[:-1]]
    target_rows = np.flatnonzero(first_target & has_history[targets.stay_guest])
    guests = targets.stay_guest[target_rows]
    last_row = np.full(history.n_guests, -1, dtype=np.int64)
    last_row[history.stay_guest] = np.arange(len(history.stay_guest))  # last write wins
    last_rows = last_row[guests]
    extra_cols = history.columns("extra")
    nxt = targets.stay_items[target_rows]
    last = history.stay_items[last_rows]
    return NextStays(
        guests=guests,
        property=first_column(nxt, history.columns("property")),
        room_type=first_column(nxt, history.columns("room_type")),
        extras=nxt[:, extra_cols].toarray() > 0,
        last_property=first_column(last, history.columns("property")),
        last_room_type=first_column(last, history.columns("room_type")),
        last_extras=last[:, extra_cols].toarray() > 0,
    )
