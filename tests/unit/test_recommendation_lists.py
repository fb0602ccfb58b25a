"""The lists the recommendation stage writes keep the business rules, on a tiny inline world:
consent and redemptions for offers, complaints for properties, upgrades only for rooms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from guestloyalty.models import recommend
from guestloyalty.scoring.recommendations import Catalog, StayData, recommendation_table

ITEMS = [
    ("property", "A"),
    ("property", "B"),
    ("room_type", "STD"),
    ("room_type", "SUP"),
    ("extra", "spa"),
    ("extra", "dining"),
]
#: (guest, item columns) per stay, guests in order; guest 3 teaches that spa guests book SUP
STAYS = [
    (0, [0, 2, 4]),
    (0, [0, 2, 4]),
    (1, [0, 2, 4]),
    (1, [0, 2, 4]),
    (2, [0, 2, 5]),
    (2, [1, 2, 5]),
    (3, [1, 3, 4]),
    (3, [1, 3, 4]),
    (3, [0, 3, 4]),
]


def world() -> tuple[StayData, recommend.CooccurrenceModel, np.ndarray]:
    rows = [r for r, (_, cols) in enumerate(STAYS) for _ in cols]
    cols = [c for _, cs in STAYS for c in cs]
    history = recommend.Interactions(
        stay_guest=np.array([g for g, _ in STAYS]),
        stay_age_days=np.arange(len(STAYS), 0, -1, dtype=np.float64),
        stay_items=sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(STAYS), 6)),
        item_kind=np.array([k for k, _ in ITEMS]),
        item_id=np.array([i for _, i in ITEMS]),
        n_guests=4,
    )
    data = StayData(
        as_of=dt.date(2025, 12, 31),
        guest_ids=pl.Series(["G0", "G1", "G2", "G3"]),
        history=history,
        history_checkout_age=history.stay_age_days,
        targets=history.subset_stays(np.zeros(len(STAYS), dtype=bool)),
    )
    model = recommend.fit(history, prior_weight=1.0)
    return data, model, recommend.predict(model, history)


def catalog(**changes: object) -> Catalog:
    base = {
        "names": {("property", "A"): "Alpha", ("property", "B"): "Beta"},
        "property_kind": {"A": "city", "B": "city"},
        "room_order": {"STD": 1, "SUP": 2},
        "offers": pl.DataFrame(
            {
                "offer_id": ["spa_credit"],
                "offer_name": ["Spa credit"],
                "item_kind": ["extra"],
                "item_id": ["spa"],
                "loyalty_reward": ["spa_credit"],
            }
        ),
        "complaints": pl.DataFrame(schema={"guest_id": pl.Utf8, "property_id": pl.Utf8}),
        "consent": pl.DataFrame({"guest_id": ["G0", "G1", "G2", "G3"]}),
        "redeemed": pl.DataFrame(schema={"guest_id": pl.Utf8, "reward": pl.Utf8}),
    }
    base.update(changes)
    return Catalog(**base)  # type: ignore[arg-type]


def lists(cat: Catalog) -> pl.DataFrame:
    data, model, scores = world()
    table, _ = recommendation_table(data, model, scores, cat, version="test")
    return pl.from_arrow(table)  # type: ignore[return-value]


def items_of(frame: pl.DataFrame, guest: str) -> list[tuple[str, str]]:
    rows = frame.filter(pl.col("guest_id") == guest).sort("rank")
    return list(zip(rows["item_kind"], rows["item_id"], strict=True))


def test_ranks_run_from_one_and_kinds_interleave_property_first():
    frame = lists(catalog())
    for guest in ("G0", "G1", "G2", "G3"):
        ranks = frame.filter(pl.col("guest_id") == guest)["rank"].sort().to_list()
        assert ranks == list(range(1, len(ranks) + 1))
        assert items_of(frame, guest)[0][0] == "property"
    assert frame["reason"].str.len_chars().min() > 0


def test_an_offer_replaces_the_extra_it_follows():
    got = items_of(lists(catalog()), "G1")
    assert ("offer", "spa_credit") in got
    assert ("extra", "spa") not in got


def test_no_offer_without_consent_and_none_already_redeemed():
    no_consent = lists(catalog(consent=pl.DataFrame({"guest_id": ["G0"]})))
    assert ("offer", "spa_credit") not in items_of(no_consent, "G1")
    assert ("offer", "spa_credit") in items_of(no_consent, "G0")
    redeemed = lists(catalog(redeemed=pl.DataFrame({"guest_id": ["G0"], "reward": ["spa_credit"]})))
    assert ("offer", "spa_credit") not in items_of(redeemed, "G0")
    assert ("offer", "spa_credit") in items_of(redeemed, "G1")


def test_a_property_with_an_unresolved_complaint_is_left_out():
    frame = lists(catalog(complaints=pl.DataFrame({"guest_id": ["G0"], "property_id": ["A"]})))
    assert ("property", "A") not in items_of(frame, "G0")
    assert ("property", "A") in items_of(frame, "G1")


def test_room_types_are_only_upgrades_on_the_usual_room():
    data, model, scores = world()
    scores = scores.copy()
    scores[:, 2] = 0.9  # STD: likely for everyone, but nobody's upgrade
    scores[:, 3] = 0.8  # SUP: likelier than on the average stay for everyone
    table, _ = recommendation_table(data, model, scores, catalog(), version="t")
    frame = pl.from_arrow(table)
    rooms = frame.filter(pl.col("item_kind") == "room_type")
    assert set(rooms["item_id"]) == {"SUP"}
    # guest 3 usually takes SUP, the top room: nothing above it to sell
    assert set(rooms["guest_id"]) == {"G0", "G1", "G2"}


@pytest.mark.parametrize("top_n", [1, 3])
def test_top_n_caps_the_list(top_n):
    data, model, scores = world()
    table, _ = recommendation_table(data, model, scores, catalog(), version="t", top_n=top_n)
    frame = pl.from_arrow(table)
    assert frame.group_by("guest_id").len()["len"].max() <= top_n
